/*
 * A simulated Arduino Uno for the test bed: an ATmega328P at 16 MHz (simavr)
 * running an unmodified sketch, in real time, with
 *
 *   - UART0 on a pseudo-terminal (its path is printed on stdout at start);
 *   - the Uno's DTR auto-reset: the board resets when a program opens the port
 *     (seen as the pty master losing its hang-up state), and the sketch starts
 *     after the bootloader's wait, as on the real board; bytes sent while no
 *     program has the port open are lost, as on the real board;
 *   - a baud check: when the reading program's baud differs from the sketch's
 *     by more than 5%, it gets framing garbage, as from a real UART;
 *   - ADC0 (or another analog pin) driven by a force profile, sampled at the
 *     moment the sketch starts each conversion;
 *   - optionally an HX711 load-cell amplifier on two digital pins, the chip
 *     side of its two-wire protocol (datasheet: DOUT low = data ready, 24 bits
 *     MSB first, one per PD_SCK rising edge, 25/26/27 pulses choose gain
 *     128/32/64 for the next conversion, PD_SCK high > 60 us powers down).
 *
 * The profile is a text file of rows "t value" (comma or space separated);
 * a first line "t,volts" or "t,raw" says what the values are (volts at the
 * pin, or raw counts: ADC counts 0-1023, or HX711 signed 24-bit counts at
 * gain 128). Profile time 0 is the first time a program opens the port; it runs
 * with the simulated chip, which is paced to the wall clock (see profile_time).
 * --timeline FILE writes "wall profile_time" rows (CLOCK_MONOTONIC seconds, as
 * Python's time.monotonic) every 10 ms, so a test can place what it read.
 *
 * Usage: uno FIRMWARE.elf PROFILE [--analog-pin N] [--hx711 DOUT,SCK]
 *            [--hx711-rate 10|80] [--boot-ms MS] [--max-seconds S]
 *            [--no-baud-check] [--no-skip] [--timeline FILE]
 * On SIGTERM/SIGINT (or after --max-seconds) it prints one line of figures
 * on stderr: "uno: sim_s=... wall_s=... slip_s=... resets=... bytes=..."
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sys/prctl.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_irq.h>
#include <simavr/sim_io.h>
#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_interrupts.h>
#include <simavr/avr_adc.h>
#include <simavr/avr_uart.h>
#include <simavr/avr_ioport.h>

#define F_CPU 16000000UL
#define TICK_CYCLES (F_CPU / 1000)   /* the housekeeping timer: every simulated 1 ms */
#define MAX_LAG_S 0.05               /* behind the wall clock by more: give it up (counted as slip) */

/* ------------------------------------------------------------------ profile */
static double *prof_t, *prof_v;
static size_t prof_n;
static int prof_raw;                 /* 1: raw counts, 0: volts */

static void load_profile(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    size_t cap = 1024;
    prof_t = malloc(cap * sizeof *prof_t);
    prof_v = malloc(cap * sizeof *prof_v);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        for (char *p = line; *p; p++) if (*p == ',') *p = ' ';
        double t, v;
        if (sscanf(line, "%lf %lf", &t, &v) != 2) {
            if (strstr(line, "raw")) prof_raw = 1;
            continue;
        }
        if (prof_n == cap) {
            cap *= 2;
            prof_t = realloc(prof_t, cap * sizeof *prof_t);
            prof_v = realloc(prof_v, cap * sizeof *prof_v);
        }
        prof_t[prof_n] = t;
        prof_v[prof_n] = v;
        prof_n++;
    }
    fclose(f);
    if (prof_n == 0) { fprintf(stderr, "uno: %s holds no (t, value) rows\n", path); exit(2); }
}

/* Linear interpolation; before the first row the first value, after the last the last. */
static double profile_at(double t) {
    static size_t i = 0;
    if (t <= prof_t[0]) return prof_v[0];
    if (t >= prof_t[prof_n - 1]) return prof_v[prof_n - 1];
    if (i >= prof_n - 1 || prof_t[i] > t) i = 0;
    while (i + 1 < prof_n && prof_t[i + 1] < t) i++;
    double t0 = prof_t[i], t1 = prof_t[i + 1];
    double a = t1 > t0 ? (t - t0) / (t1 - t0) : 1.0;
    return prof_v[i] + a * (prof_v[i + 1] - prof_v[i]);
}

/* ------------------------------------------------------------------- clocks */
static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static avr_t *avr;
static double wall_start, wall_open = -1.0;   /* wall time of the first open: profile time 0 */
static int booting;                   /* held in reset: the bootloader's wait */
static double anchor_wall;                    /* real-time pacing: this wall time ... */
static avr_cycle_count_t anchor_cycle;        /* ... is this cycle */
static double slip_s, sim_s;
static int resets;
static long bytes_out, bytes_garbled, hx_reads, hx_convs;

/*
 * Profile time runs with the simulated chip (with the wall clock while it is held in
 * reset), so when the host cannot keep up the patient and the board slow down together
 * and the reading program sees the same squeezes in slow motion, never holes in them.
 * While the host keeps up (slip 0) it is the wall clock since the first open.
 */
static double prof_offset;            /* profile seconds before the current stretch */
static double boot_started;
static FILE *timeline;                /* (wall, profile time) rows for the tests */
static double timeline_last = -1.0;

static double profile_time(void) {
    if (wall_open < 0) return 0.0;
    if (booting) return prof_offset + (wall_now() - boot_started);
    return prof_offset + avr->cycle / (double)F_CPU;
}

static void timeline_row(void) {
    if (!timeline || wall_open < 0) return;
    double now = wall_now();
    if (now - timeline_last < 0.01) return;
    timeline_last = now;
    fprintf(timeline, "%.6f %.6f\n", now, profile_time());
    fflush(timeline);
}

static void anchor(void) {
    anchor_wall = wall_now();
    anchor_cycle = avr->cycle;
}

/* ---------------------------------------------------------------------- pty */
static int master_fd = -1;
static char slave_path[128];
static int host_open;                 /* a program has the port open */
static speed_t host_speed;            /* its baud setting */
static int baud_check = 1;

static void read_host_speed(void) {
    /* The slave's settings are the reading program's; a brief open does not
     * change the open/closed state we watch (the program holds it open). */
    int fd = open(slave_path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return;
    struct termios tio;
    if (tcgetattr(fd, &tio) == 0) host_speed = cfgetispeed(&tio);
    close(fd);
}

static long speed_to_baud(speed_t s) {
    switch (s) {
    case B1200: return 1200; case B2400: return 2400; case B4800: return 4800;
    case B9600: return 9600; case B19200: return 19200; case B38400: return 38400;
    case B57600: return 57600; case B115200: return 115200; case B230400: return 230400;
    case B460800: return 460800; case B500000: return 500000; case B921600: return 921600;
    case B1000000: return 1000000; case B2000000: return 2000000;
    default: return 0;
    }
}

/* The sketch's baud from the USART0 registers (UBRR0, U2X0). */
static double sketch_baud(void) {
    unsigned ubrr = avr->data[0xC4] | ((avr->data[0xC5] & 0x0F) << 8);
    int u2x = (avr->data[0xC0] >> 1) & 1;
    return (double)F_CPU / ((u2x ? 8.0 : 16.0) * (ubrr + 1));
}

static uint8_t out_buf[4096];
static size_t out_len;

static void uart_out(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    if (!host_open) return;   /* nobody listening: the USB-serial chip drops it */
    uint8_t b = (uint8_t)value;
    if (baud_check) {
        long hb = speed_to_baud(host_speed);
        double sb = sketch_baud();
        if (hb > 0 && fabs(hb - sb) / sb > 0.05) {
            /* A receiver at another baud sees bits of the wrong length: bytes
             * with framing errors, never the characters that were sent. */
            b = (uint8_t)(0x80 | ((b * 37u + 11u) & 0x7F));
            bytes_garbled++;
        }
    }
    /* The Uno's USB-serial chip sends what it has in 1 ms USB frames: so does this, on the tick. */
    if (out_len < sizeof out_buf) out_buf[out_len++] = b;
}

static void flush_out(void) {
    if (!out_len) return;
    if (host_open) {
        ssize_t n = write(master_fd, out_buf, out_len);
        if (n > 0) bytes_out += n;   /* a full pty (a reader that stopped reading) drops the rest */
    }
    out_len = 0;
}

/* ---------------------------------------------------------------------- ADC */
static int analog_pin = 0;
static double vref_mv = 5000.0;

static void adc_trigger(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    double v = profile_at(profile_time());
    double mv = prof_raw ? (v + 0.5) * vref_mv / 1024.0 : v * 1000.0;
    if (mv < 0) mv = 0;
    if (mv > vref_mv) mv = vref_mv;
    avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + analog_pin), (uint32_t)mv);
}

/* -------------------------------------------------------------------- HX711 */
static int hx_enabled, hx_dout_pin = 3, hx_sck_pin = 2, hx_rate = 80;
static avr_irq_t *hx_dout_irq;
static int32_t hx_latched;            /* the conversion being shifted out */
static int hx_ready, hx_pulses, hx_gain_pulses = 25, hx_sck_level, hx_dout_level = 1;
static avr_cycle_count_t hx_sck_rise, hx_next_ready;

static char pin_port(int pin) { return pin < 8 ? 'D' : 'B'; }
static int pin_bit(int pin) { return pin < 8 ? pin : pin - 8; }

static void hx_dout(int level) {
    hx_dout_level = level ? 1 : 0;
    avr_raise_irq(hx_dout_irq, hx_dout_level);
}

static void hx_convert(void) {
    double v = profile_at(profile_time());     /* counts at gain 128, channel A */
    if (hx_gain_pulses == 27) v /= 2.0;         /* gain 64 */
    else if (hx_gain_pulses == 26) v = 0.0;     /* channel B: nothing wired */
    if (v > 8388607.0) v = 8388607.0;
    if (v < -8388608.0) v = -8388608.0;
    hx_latched = (int32_t)lround(v);
    hx_convs++;
    hx_ready = 1;
    hx_pulses = 0;
    hx_dout(0);
}

static avr_cycle_count_t hx_period(void) { return F_CPU / (avr_cycle_count_t)hx_rate; }

static void hx_tick(void) {
    /* a new conversion is ready; one not read is overwritten (its DOUT stays low) */
    if (avr->cycle >= hx_next_ready && !(hx_ready && hx_pulses > 0)) {
        hx_convert();
        /* keep the chip's own pace (the 1 ms tick only notices it) */
        hx_next_ready = hx_next_ready + hx_period() > avr->cycle ? hx_next_ready + hx_period()
                                                                 : avr->cycle + hx_period();
    }
}

static void hx_sck(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    int level = value ? 1 : 0;
    if (level == hx_sck_level) return;
    hx_sck_level = level;
    if (level) {
        hx_sck_rise = avr->cycle;
        if (!hx_ready) return;
        hx_pulses++;
        if (hx_pulses <= 24) hx_dout((hx_latched >> (24 - hx_pulses)) & 1);
        else if (hx_pulses == 25) {
            hx_dout(1);   /* data taken: high until the next conversion */
            hx_reads++;
        }
        return;
    }
    if ((avr->cycle - hx_sck_rise) * 1e6 / F_CPU > 60.0) {
        /* PD_SCK held high: powered down; back up on this falling edge with gain 128,
         * first data after the settling time (4 conversion periods) */
        hx_ready = 0;
        hx_pulses = 0;
        hx_gain_pulses = 25;
        hx_dout(1);
        hx_next_ready = avr->cycle + 4 * hx_period();
    }
}

static void hx_finish_read(void) {
    /* a read (25-27 pulses) is over once PD_SCK has stayed low for 100 us;
     * the pulse count sets the gain of the next conversion */
    if (hx_ready && hx_pulses >= 25 && !hx_sck_level && avr->cycle - hx_sck_rise > F_CPU / 10000) {
        hx_gain_pulses = hx_pulses > 27 ? 25 : hx_pulses;
        hx_ready = 0;
        hx_pulses = 0;
    }
}

/* ------------------------------------------------------------- housekeeping */
static double boot_until, boot_ms = 1000.0;

static avr_cycle_count_t tick(avr_t *a, avr_cycle_count_t when, void *param);

static void attach_timers(void) {
    avr_cycle_timer_register(avr, TICK_CYCLES, tick, NULL);
}

static void check_port(void) {
    struct pollfd p = { .fd = master_fd, .events = POLLIN };
    if (poll(&p, 1, 0) < 0) return;
    if (p.revents & POLLIN) {
        char buf[256];
        (void)!read(master_fd, buf, sizeof buf);   /* what the host sends: these sketches read nothing */
    }
    int open_now = !(p.revents & POLLHUP);
    if (open_now && !host_open) {
        /* DTR went low: the auto-reset capacitor pulls RESET down */
        host_open = 1;
        out_len = 0;   /* what the board sent before the reset never arrives */
        if (wall_open < 0) wall_open = wall_now();
        else prof_offset = profile_time();   /* the patient goes on through the reset */
        read_host_speed();
        booting = 1;
        boot_started = wall_now();
        boot_until = boot_started + boot_ms / 1000.0;
        resets++;
    } else if (!open_now && host_open) {
        host_open = 0;
    }
}

static avr_cycle_count_t tick(avr_t *a, avr_cycle_count_t when, void *param) {
    (void)param;
    static unsigned n;
    if (hx_enabled) { hx_tick(); hx_finish_read(); }
    flush_out();
    timeline_row();
    if ((++n & 7) == 0) {
        check_port();
        if (host_open && (n & 15) == 0) read_host_speed();
    }
    /* pace: simulated time never runs ahead of the wall clock */
    double target = anchor_wall + (a->cycle - anchor_cycle) / (double)F_CPU;
    double now = wall_now();
    if (target > now + 0.0005) {
        struct timespec ts = { 0, (long)((target - now) * 1e9) };
        nanosleep(&ts, NULL);
    } else if (now - target > MAX_LAG_S) {
        slip_s += now - target;
        anchor();
    }
    return when + TICK_CYCLES;
}

/* ------------------------------------------------------------ idle spinning */
/*
 * Sketches wait by spinning: on the UART's "ready" bit, on a pin, on the ADC.
 * Simulating every turn of such a loop costs a host core per Uno. A loop whose
 * every turn starts in the same state (registers, SREG, SP, all of SRAM) can
 * only change when something outside it does, and everything outside it here
 * (timers, UART, ADC, the HX711 and the port checks) happens at simavr cycle
 * timers. So whole turns are skipped up to the next timer: the sketch sees the
 * same thing at most one turn (microseconds) later or earlier, and the host
 * spends its time only on the work the sketch does.
 */
static int skip_spins = 1;
static avr_flashaddr_t spin_pc;
static avr_cycle_count_t spin_cycle, skipped_cycles;
static int spin_valid;
static uint8_t spin_regs[32 + 3];
static uint8_t *spin_ram;

static int backward_branch(avr_flashaddr_t from) {
    uint16_t op = avr->flash[from] | (avr->flash[from + 1] << 8);
    return (op & 0xF000) == 0xC000      /* rjmp */
        || (op & 0xFC00) == 0xF000      /* brbs (breq, brcs, ...) */
        || (op & 0xFC00) == 0xF400;     /* brbc (brne, brcc, ...) */
}

static void spin_save(void) {
    memcpy(spin_regs, avr->data, 32);
    memcpy(spin_regs + 32, avr->data + 0x5D, 3);   /* SPL, SPH, SREG */
    memcpy(spin_ram, avr->data + 0x100, avr->ramend + 1 - 0x100);
}

static int spin_same(void) {
    return memcmp(spin_regs, avr->data, 32) == 0 && memcmp(spin_regs + 32, avr->data + 0x5D, 3) == 0
        && memcmp(spin_ram, avr->data + 0x100, avr->ramend + 1 - 0x100) == 0;
}

static volatile sig_atomic_t stop;

/* Whole turns of a spin loop, past each cycle timer in turn, firing it, for as long
 * as the timers change nothing the loop can see (the I/O registers) and raise no
 * interrupt. The sketch sees any change at most one turn late. */
static void skip_ahead(avr_cycle_count_t turn) {
    uint8_t io[0x100 - 0x20];
    memcpy(io, avr->data + 0x20, sizeof io);
    avr_cycle_count_t limit = avr->cycle + F_CPU / 100;
    while (avr->cycle < limit && !stop && !booting) {
        avr_cycle_timer_slot_p next = avr->cycle_timers.timer;
        if (!next) break;
        avr_cycle_count_t gap = next->when > avr->cycle ? next->when - avr->cycle : 0;
        avr_cycle_count_t n = gap / turn + 1;
        avr->cycle += n * turn;
        skipped_cycles += n * turn;
        avr_cycle_timer_process(avr);
        if (avr_has_pending_interrupts(avr) || memcmp(io, avr->data + 0x20, sizeof io) != 0) break;
    }
}

static void after_step(avr_flashaddr_t pc_before) {
    if (avr->pc >= pc_before || !backward_branch(pc_before)) return;
    if (spin_valid && avr->pc == spin_pc && spin_same() && !avr_has_pending_interrupts(avr)) {
        avr_cycle_count_t turn = avr->cycle - spin_cycle;
        if (turn > 0) skip_ahead(turn);
        spin_cycle = avr->cycle;
        return;
    }
    spin_pc = avr->pc;
    spin_cycle = avr->cycle;
    spin_valid = 1;
    spin_save();
}

/* ---------------------------------------------------------------------- main */
static void on_signal(int sig) { (void)sig; stop = 1; }

static void sleep_s(double s) {
    struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s FIRMWARE.elf PROFILE [--analog-pin N] [--hx711 DOUT,SCK] "
                "[--hx711-rate 10|80] [--boot-ms MS] [--max-seconds S] [--no-baud-check]\n", argv[0]);
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlive the test (or tool) that started it */
    double max_seconds = 600.0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--analog-pin") && i + 1 < argc) analog_pin = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--hx711") && i + 1 < argc) {
            hx_enabled = 1;
            if (sscanf(argv[++i], "%d,%d", &hx_dout_pin, &hx_sck_pin) != 2) { fprintf(stderr, "--hx711 DOUT,SCK\n"); return 2; }
        } else if (!strcmp(argv[i], "--hx711-rate") && i + 1 < argc) hx_rate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--boot-ms") && i + 1 < argc) boot_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc) max_seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-baud-check")) baud_check = 0;
        else if (!strcmp(argv[i], "--no-skip")) skip_spins = 0;
        else if (!strcmp(argv[i], "--timeline") && i + 1 < argc) {
            timeline = fopen(argv[++i], "w");
            if (!timeline) { perror(argv[i]); return 2; }
        }
        else { fprintf(stderr, "uno: unknown option %s\n", argv[i]); return 2; }
    }
    load_profile(argv[2]);

    /* elf_firmware_t's size depends on how the library was built: leave room */
    static union { elf_firmware_t f; char room[1 << 16]; } fw;
    /* simavr's loader talks on stdout: keep stdout for the port's path alone */
    fflush(stdout);
    int saved_stdout = dup(1);
    dup2(2, 1);
    if (elf_read_firmware(argv[1], &fw.f) != 0) { fprintf(stderr, "uno: cannot read %s\n", argv[1]); return 2; }
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) { fprintf(stderr, "uno: simavr has no atmega328p\n"); return 2; }
    avr_init(avr);
    fw.f.frequency = F_CPU;
    avr_load_firmware(avr, &fw.f);
    avr->frequency = F_CPU;
    avr->vcc = avr->avcc = avr->aref = (uint32_t)vref_mv;
    avr->log = 0;
    spin_ram = calloc(avr->ramend + 1, 1);
    fflush(stdout);
    dup2(saved_stdout, 1);
    close(saved_stdout);

    uint32_t flags = 0;   /* no console echo, no sleeping on UART polls */
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), uart_out, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER), adc_trigger, NULL);
    if (hx_enabled) {
        hx_dout_irq = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(pin_port(hx_dout_pin)), pin_bit(hx_dout_pin));
        avr_irq_register_notify(
            avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(pin_port(hx_sck_pin)), pin_bit(hx_sck_pin)), hx_sck, NULL);
        hx_dout(1);
        hx_next_ready = 0;
    }

    int slave_fd;
    if (openpty(&master_fd, &slave_fd, slave_path, NULL, NULL) != 0) { perror("openpty"); return 2; }
    struct termios tio;
    tcgetattr(slave_fd, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave_fd, TCSANOW, &tio);
    close(slave_fd);   /* from now on the port is "closed" until a program opens it */
    fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("%s\n", slave_path);
    fflush(stdout);

    wall_start = wall_now();
    /* Until the first open the board would only print to nobody: wait without simulating. */
    while (!stop && !host_open && wall_now() - wall_start < max_seconds) {
        check_port();
        if (!host_open) sleep_s(0.002);
    }
    double sim_cycles = 0;
    while (!stop && wall_now() - wall_start < max_seconds) {
        if (booting) {
            while (!stop && wall_now() < boot_until) {
                sleep_s(0.002);
                check_port();
                timeline_row();
            }
            prof_offset = profile_time();
            booting = 0;
            sim_cycles += avr->cycle;
            avr_reset(avr);
            avr->cycle = 0;
            spin_valid = 0;
            attach_timers();
            if (hx_enabled) {   /* the chip is not reset with the board: it keeps its pin level */
                hx_next_ready = 0;
                /* the reset cleared the pin register but not the IRQ's remembered level */
                avr_raise_irq(hx_dout_irq, !hx_dout_level);
                avr_raise_irq(hx_dout_irq, hx_dout_level);
            }
            anchor();
            continue;
        }
        avr_flashaddr_t pc_before = avr->pc;
        int state = avr_run(avr);
        if (skip_spins && state == cpu_Running) after_step(pc_before);
        if (state == cpu_Done || state == cpu_Crashed) {
            fprintf(stderr, "uno: the simulated chip stopped (%s)\n", state == cpu_Crashed ? "crashed" : "done");
            break;
        }
    }
    sim_cycles += avr->cycle;
    sim_s = sim_cycles / (double)F_CPU;
    fprintf(stderr, "uno: sim_s=%.3f wall_s=%.3f slip_s=%.3f resets=%d bytes=%ld garbled=%ld hx711_reads=%ld hx711_conversions=%ld skipped_s=%.3f\n",
            sim_s, wall_now() - (wall_open < 0 ? wall_start : wall_open), slip_s, resets, bytes_out, bytes_garbled,
            hx_reads, hx_convs, skipped_cycles / (double)F_CPU);
    return 0;
}
