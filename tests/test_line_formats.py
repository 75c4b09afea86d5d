"""Line formats: parsing, detection from the first lines, hostile input, profiles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.fake_ball import BOOT_NOISE, format_line
from hardware.line_formats import (
    CHECKSUM,
    GARBAGE,
    MAX_LINE_BYTES,
    NOT_FINITE,
    OUT_OF_RANGE,
    OVERLONG,
    WRONG_FIELDS,
    ChannelMap,
    LineFormat,
    LineParser,
    ParseStats,
    ProfileError,
    detect_format,
    firmware_line,
    load_profile,
    parser_for,
    shipped_profiles,
    split_lines,
)

FORMATS = list(LineFormat)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_detected_after_boot_noise_and_parsed(fmt):
    lines = BOOT_NOISE.split(b"\n") + [format_line(fmt, 100 + i, (1.5, -2.5, 0.0), seq=i, ms=10 * i).rstrip(b"\n")
                                       for i in range(20)]
    det = detect_format(lines)
    assert det is not None and det.format is fmt
    p = parser_for(det)
    readings = [r for r in (p.parse(ln) for ln in lines[-20:]) if r is not None]
    assert [r[1] for r in readings] == [100 + i for i in range(20)]
    if fmt is not LineFormat.NUMBER:
        assert p.has_roll and readings[0][2] == 1.5 and readings[0][3] == -2.5
    if fmt is LineFormat.FIRMWARE:
        assert readings[1][0] == pytest.approx(0.01)  # device time in seconds


def test_unmodified_arduino_analog_example():
    # AnalogReadSerial prints Serial.println(analogRead(A0)): "512\r\n"
    det = detect_format([b"512\r", b"513\r", b"515\r", b"600\r", b"720\r"])
    assert det is not None and det.format is LineFormat.NUMBER
    assert LineParser(LineFormat.NUMBER).parse(b"720\r")[1] == 720.0


def test_plotter_separators_and_labels():
    p = LineParser(LineFormat.PLOTTER)
    assert p.parse(b"Pressure:512 gyroX:3\tgyroY:-4")[1:4] == (512.0, 3.0, -4.0)
    assert p.parse(b"Pressure:10,gyroX:1,gyroY:2")[1:4] == (10.0, 1.0, 2.0)
    assert p.parse(b"Other:1")is None and p.stats.dropped[WRONG_FIELDS] == 1


def test_csv_header_sets_columns_and_profile_map():
    p = LineParser(LineFormat.CSV, ChannelMap(force="grip", roll_x="-gz", roll_y="none"))
    assert p.parse(b"t_ms,grip,gz") is None  # header
    r = p.parse(b"1000,250,40")
    assert r[0] == pytest.approx(1.0) and r[1:4] == (250.0, -40.0, 0.0)
    # time going back is a jump: the reading is kept, one period after the last (see test_stream_faults)
    assert p.parse(b"900,250,40")[0] == pytest.approx(1.01) and p.stats.dropped_total == 0


def test_csv_default_layout_by_column_count():
    p = LineParser(LineFormat.CSV)
    r = p.parse(b"300,1,2,3,10,20,30")
    assert r[1:4] == (300.0, 10.0, 20.0)
    assert p.parse(b"300,1,2") is None and p.stats.dropped[WRONG_FIELDS] == 1


def test_hostile_lines_dropped_and_counted_by_reason():
    p = LineParser(LineFormat.FIRMWARE, ChannelMap(force_range=(0, 5000)))
    good = firmware_line(1, 100, 300.0, (0, 0, 0)).strip()
    assert p.parse(good) is not None
    bad_crc = good[:-1] + (b"0" if good[-1:] != b"0" else b"1")
    assert p.parse(bad_crc) is None
    assert p.parse(firmware_line(3, 200, 1e9).strip()) is None  # out of range
    assert p.parse(b"D,4,300,nan*0000") is None  # checksum wrong anyway
    raw = b"D,5,400,nan"
    from hardware.line_formats import crc16

    assert p.parse(raw + b"*%04X" % crc16(raw)) is None
    assert p.parse(b"\xff\xfe\x00garbage") is None
    st_ = p.stats
    assert st_.dropped[CHECKSUM] == 2
    assert st_.dropped[OUT_OF_RANGE] == 1 and st_.dropped[NOT_FINITE] == 1 and st_.dropped[GARBAGE] == 1
    n = LineParser(LineFormat.NUMBER)
    for bad in (b"inf", b"-nan", b"1_000", b"12abc"):
        assert n.parse(bad) is None
    assert n.stats.dropped[NOT_FINITE] == 2 and n.stats.dropped[GARBAGE] == 2


def test_split_lines_keeps_partial_lines_and_drops_overlong():
    stats = ParseStats()
    buf = bytearray()
    assert split_lines(buf, b"12\n3", stats) == [b"12"]
    assert split_lines(buf, b"4\n", stats) == [b"34"]
    assert split_lines(buf, b"x" * (MAX_LINE_BYTES + 10), stats) == []
    assert stats.dropped[OVERLONG] == 1 and len(buf) == 0
    assert split_lines(buf, b"y" * (MAX_LINE_BYTES + 1) + b"\n55\n", stats) == [b"55"]
    assert stats.dropped[OVERLONG] == 2


def test_detection_refuses_wrong_baud_garbage():
    # What 115200-baud text looks like when read at 9600: no format can be trusted.
    junk = [bytes([0xF0, 0x80 + i % 50, 0xFE, 0x00, 0x66]) for i in range(30)]
    assert detect_format(junk) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=30), st.sampled_from(FORMATS))
def test_fuzz_parser_never_raises_and_accounts_for_every_line(lines, fmt):
    p = LineParser(fmt, ChannelMap(force_range=(-1e6, 1e6)))
    for ln in lines:
        r = p.parse(ln)
        if r is not None:
            dev_t, force, rx, ry, raw = r
            assert all(math.isfinite(v) for v in (force, rx, ry))
            assert -1e6 <= force <= 1e6
    s = p.stats
    assert s.ok + s.comments + s.dropped_total == len(lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40),
                          st.floats(allow_nan=True, allow_infinity=True).map(lambda v: repr(v).encode()),
                          st.integers(-10**12, 10**12).map(lambda v: b"force:%d,gx:1" % v)), max_size=40))
def test_fuzz_split_and_detect_never_raise(chunks):
    stats = ParseStats()
    buf = bytearray()
    lines = []
    for c in chunks:
        lines += split_lines(buf, c + b"\n", stats)
        assert len(buf) <= MAX_LINE_BYTES
    det = detect_format(lines)
    if det is not None:
        parser_for(det).parse_lines(lines)


def test_shipped_profiles_load():
    names = {p.stem for p in shipped_profiles()}
    assert {"squeeze_ball", "arduino_analog", "diy_grip_imu", "hx711_plotter", "analog_in_out",
            "read_analog_voltage", "hx711_basic", "hx711_full"} <= names
    for path in shipped_profiles():
        prof = load_profile(path)
        prof.channel_map()
    assert load_profile("arduino_analog").fixed_format().format is LineFormat.NUMBER


def test_profile_errors_name_file_line_and_field(tmp_path):
    bad = tmp_path / "ball.yaml"
    bad.write_text("name: My ball\nformat: csv\nbaud: 12345\ncolour: red\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(bad)
    text = str(exc.value)
    assert "line 3: baud" in text and "line 4: colour" in text
    with pytest.raises(ProfileError, match="no device profile 'nope'"):
        load_profile("nope")


# ----------------------------------------------------------------- stock Arduino and library examples, unmodified
def _detect_and_read(lines: list[bytes]):
    det = detect_format(lines)
    assert det is not None
    p = parser_for(det)
    return det, p, [r for r in p.parse_lines(lines) if r is not None]


def test_stock_analog_in_out_serial_name_value_pairs():
    # Serial.print("sensor = "); Serial.print(sensorValue); Serial.print("\t output = "); Serial.println(outputValue);
    lines = [b"sensor = %d\t output = %d\r" % (v, v // 4) for v in (512, 515, 600, 700, 1023, 3)]
    det, p, got = _detect_and_read(lines)
    assert det.format is LineFormat.LABELLED and det.labels == ("sensor", "output")
    assert [r[1] for r in got] == [512, 515, 600, 700, 1023, 3]
    assert p.describe_force() == "force: 'sensor'"


def test_stock_read_analog_voltage_floats():
    # Serial.println(sensorValue * (5.0 / 1023.0)): "2.50"
    lines = [b"%.2f\r" % (v * 5.0 / 1023) for v in [100, 110, 400, 800, 1023, 0] + list(range(100, 120))]
    det, p, got = _detect_and_read(lines)
    assert det.format is LineFormat.NUMBER and [r[1] for r in got] == [float(ln) for ln in lines]
    assert p.range.describe() == "0 to 5.5 (learnt)" and p.parse(b"512") is None  # a voltage never reads 512


def test_serial_plotter_labels_and_unlabelled_space_or_tab_separated_values():
    det, p, got = _detect_and_read([b"pressure:%d,target:300" % v for v in range(100, 106)])
    assert det.format is LineFormat.PLOTTER and p.describe_force() == "force: 'pressure'" and got[0][1] == 100
    det, p, got = _detect_and_read([b"%d %d" % (v, 300) for v in range(100, 106)] + [b"106\t300"])
    assert det.format is LineFormat.CSV and det.separator is None
    assert [r[1] for r in got] == list(range(100, 107)) and p.describe_force() == "force: column 1 ('force')"
    assert "separated by spaces" in det.describe()


def test_stock_hx711_basic_example():
    # bogde/HX711 HX711_basic_example: "HX711 reading: <long>" or "HX711 not found."
    lines = [b"HX711 reading: %d\r" % (84000 + 37 * i) for i in range(8)] + [b"HX711 not found.\r", b"HX711 reading: -120\r"]
    det, p, got = _detect_and_read(lines)
    assert det.format is LineFormat.LABELLED and p.force_field() == "HX711 reading"
    assert [r[1] for r in got][:8] == [84000 + 37 * i for i in range(8)]  # the 711 in the label is not a reading
    assert p.stats.dropped[GARBAGE] == 1  # "not found" is no reading


def test_stock_hx711_full_example_takes_the_first_number_after_a_label():
    setup = [b"HX711 Demo", b"Initializing the scale", b"Before setting up the scale:", b"read: \t\t84123",
             b"read average: \t\t84100", b"get value: \t\t84099.00", b"get units: \t\t84099.0", b"Readings:"]
    loop = [b"one reading:\t%.1f\t| average:\t%.5f" % (0.1 * i, 0.09 * i) for i in range(12)]
    det, p, _got = _detect_and_read(setup + loop)
    assert det.format is LineFormat.LABELLED and det.labels == ("one reading", "average")
    assert p.describe_force() == "force: 'one reading'"
    assert [r[1] for r in p.parse_lines(loop)] == pytest.approx([0.1 * i for i in range(12)])
    p2 = LineParser(LineFormat.LABELLED, ChannelMap(force="average"), labels=("one reading", "average"))
    assert p2.parse(loop[3])[1] == pytest.approx(0.27)  # a profile names the other column


def test_labelled_pairs_rules():
    from hardware.line_formats import labelled_pairs

    assert labelled_pairs(b"Weight: 12.5 g | Temp = -3e1 C, x: y") == [(b"Weight", b"12.5"), (b"Temp", b"-3e1")]
    assert labelled_pairs(b"avg: 1 2 3") == [(b"avg", b"1")]  # the first number after the label
    assert labelled_pairs(b"12: 5") == []  # a label holds a letter
    assert labelled_pairs(b"a" * 200 + b":" * 50) == []  # linear, whatever the line


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=60),
                          st.integers(-10**9, 10**9).map(lambda v: b"%d" % v),
                          st.sampled_from([b"0", b"-1", b"1e7", b"sensor = 5\t output = 1", b"ms:4294967295,f:3",
                                           b"ms:0,f:4", b"HX711 reading: 84000"])), max_size=60),
       st.sampled_from(FORMATS))
def test_fuzz_learning_range_and_timeline_never_raise_and_account_for_every_line(lines, fmt):
    p = LineParser(fmt)  # no range given: learnt from the lines
    last_t = None
    for ln in lines:
        r = p.parse(ln)
        if r is not None:
            assert p.range.lo <= r[1] <= p.range.hi and math.isfinite(r[1])
            if r[0] is not None:
                assert last_t is None or r[0] > last_t  # device time only ever increases
                last_t = r[0]
    s = p.stats
    assert s.ok + s.comments + s.dropped_total == len(lines)


@pytest.mark.parametrize(("profile", "lines", "force", "first"), [
    ("analog_in_out", [b"sensor = 512\t output = 127"] * 6, "force: 'sensor'", 512.0),
    ("read_analog_voltage", [b"2.50"] * 6, "force: the number", 2.5),
    ("hx711_basic", [b"HX711 reading: 84123"] * 6, "force: 'HX711 reading'", 84123.0),
    ("hx711_full", [b"one reading:\t0.3\t| average:\t0.29000"] * 6, "force: 'one reading'", 0.3),
])
def test_stock_example_profiles(profile, lines, force, first):
    prof = load_profile(profile)
    det = prof.fixed_format()
    p = parser_for(det, prof.channel_map())
    assert p.parse(lines[0])[1] == first and p.describe_force() == force


def test_readings_between_lines_of_text_are_found():
    # Serial.println("Force:"); Serial.println(analogRead(A0)); - half the lines are words
    lines = BOOT_NOISE.split(b"\n")[:1] + [b"Force:" if i % 2 == 0 else b"%d" % (300 + i) for i in range(40)]
    det = detect_format(lines)
    assert det is not None and det.format is LineFormat.NUMBER
    # but one line in ten is not enough to trust, and noise around them never is
    assert detect_format([b"loop tick" if i % 10 else b"%d" % i for i in range(40)]) is None
    assert detect_format([b"\xf0\x80\xfe" if i % 2 else b"%d" % i for i in range(40)]) is None
