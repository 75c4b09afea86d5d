/*
  A load-cell squeeze ball for the Arduino Serial Plotter: an HX711 amplifier on
  D4 (DOUT) and D7 (PD_SCK), read with the Arduino core's own shiftIn(), no
  HX711 library. (Any two digital pins do; D2 and D3 are interrupt and PWM
  pins, and simavr spends four times the host CPU on a sketch toggling them.) Prints "load:<reading>,zero:<reading at start-up>" at 80 lines
  a second (HX711 board with its RATE pin high) and 115200 baud.

  Written for Squeeze Quest's simulated-Uno test bed: the usual HX711 Arduino
  libraries are not in Debian, PyPI or npm, so this sketch does what they do on
  an AVR (wait for DOUT low, 24 bits MSB first with shiftIn, one more PD_SCK
  pulse for channel A at gain 128), following the HX711 datasheet.
*/

const int HX711_DOUT = 4;
const int HX711_SCK = 7;

long zero = 0;

long readHX711() {
  while (digitalRead(HX711_DOUT) == HIGH) {
    // wait for the next conversion (DOUT goes low when one is ready)
  }
  noInterrupts();  // PD_SCK must not stay high over 60 us: that powers the chip down
  unsigned long high = shiftIn(HX711_DOUT, HX711_SCK, MSBFIRST);
  unsigned long mid = shiftIn(HX711_DOUT, HX711_SCK, MSBFIRST);
  unsigned long low = shiftIn(HX711_DOUT, HX711_SCK, MSBFIRST);
  digitalWrite(HX711_SCK, HIGH);  // 25th pulse: channel A, gain 128 next time
  digitalWrite(HX711_SCK, LOW);
  interrupts();
  unsigned long value = (high << 16) | (mid << 8) | low;
  if (value & 0x800000UL) {
    value |= 0xFF000000UL;  // 24-bit two's complement to 32 bits
  }
  return (long)value;
}

void setup() {
  Serial.begin(115200);
  pinMode(HX711_SCK, OUTPUT);
  pinMode(HX711_DOUT, INPUT);
  digitalWrite(HX711_SCK, LOW);
  long sum = 0;
  for (int i = 0; i < 8; i++) {
    sum += readHX711();
  }
  zero = sum / 8;
}

void loop() {
  long reading = readHX711();
  Serial.print("load:");
  Serial.print(reading);
  Serial.print(",zero:");
  Serial.println(zero);
}
