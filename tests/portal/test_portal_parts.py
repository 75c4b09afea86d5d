"""The portal's parts that need no server: the program form (generated from the level models,
checked by the level checker), the flags, the SVG charts, the exercise pictures, and the
exports made from server records by the game's own export code."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from game.levels import (
    AdaptSettings,
    DetectorSettings,
    ExerciseEntry,
    ExerciseSettings,
    Level,
    level_files,
    parse_level_text,
)
from game.resources import shipped_levels_dir
from server.portal import charts, flags, program_form
from server.portal.program_form import FormData

STATIC = Path(program_form.__file__).resolve().parent / "static"


# ------------------------------------------------------------------ the program form
def test_every_setting_of_the_level_models_is_on_the_form():
    shown = {s.name for s in program_form.program_fields()}
    shown |= {s.name for s in program_form.exercise_fields("exercises[1].")}
    shown |= {s.name for s in program_form.detector_fields("exercises[1].")}
    shown |= {s.name for s in program_form.entry_fields("exercises[1].")}
    shown |= {name for name, _help in program_form.ADAPT_FIELDS}
    drawn_apart = {"defaults", "exercises", "detector", "adapt", "exercise", "finger_pairs"}  # own parts of the page
    for model in (Level, ExerciseSettings, ExerciseEntry, DetectorSettings, AdaptSettings):
        missing = set(model.model_fields) - shown - drawn_apart
        assert not missing, f"{model.__name__}: {missing} not on the form"
    reps = next(s for s in program_form.exercise_fields("exercises[2].") if s.name == "reps")
    assert reps.path == "exercises[2].reps" and (reps.minimum, reps.maximum) == (1, 100)
    assert reps.description == ExerciseSettings.model_fields["reps"].description
    assert reps.allowed == "a whole number from 1 to 100"
    hold = next(s for s in program_form.exercise_fields("defaults.") if s.name == "hold_s")
    assert hold.unit == "seconds" and hold.dom_id == "f-defaults-hold-s"


@pytest.mark.parametrize("path", level_files([shipped_levels_dir()]), ids=lambda p: p.stem)
def test_every_shipped_program_survives_import_form_and_save(path):
    text = path.read_text(encoding="utf-8")
    imported = program_form.check_text(text)
    assert imported.ok, imported.problems
    form = program_form.form_from_level(imported.level)
    again = program_form.check_form(form)
    assert again.ok, again.problems
    assert again.level.model_dump() == imported.level.model_dump()
    assert again.level.to_plan() == imported.level.to_plan()


def test_form_mistakes_are_the_level_checkers_own_words_on_their_fields():
    form = FormData({"name": "Home", "exercises[1].exercise": "pinch", "exercises[1].reps": "200",
                     "exercises[1].hold_s": "twenty", "exercises[2].exercise": "table_roll",
                     "exercises[2].roll_target_pct": "5"})
    checked = program_form.check_form(form)
    _level, direct = parse_level_text(checked.yaml_text, program_form.SHOWN_AS)
    assert [p.message for p in checked.problems] == [p.message for p in direct] and len(direct) == 3
    assert checked.problems_for("exercises[1].reps")[0].message.endswith("from 1 to 100, got 200")
    assert "got 'twenty'" in checked.problems_for("exercises[1].hold_s")[0].message
    assert checked.problems_for("exercises[2].roll_target_pct")
    assert not checked.unplaced([p.field for p in checked.problems])


def test_checks_across_fields_point_at_the_setting():
    form = FormData({"name": "Home", "exercises[1].exercise": "power_grip", "exercises[1].target_pct": "50",
                     "exercises[1].target_max_pct": "40", "exercises[1].adapt.hold": "no"})
    checked = program_form.check_form(form)
    assert not checked.ok
    assert "must be between `target_min_pct` (5%) and `target_max_pct` (40%)" in \
        checked.problems_for("exercises[1].target_pct")[0].message
    assert "adapt:\n    hold: false" in checked.yaml_text


def test_finger_pairs_decimal_commas_and_adapt_lines():
    form = FormData({"name": "Fingers", "exercises[1].exercise": "finger_squeeze", "exercises[1].hold_s": "1,5",
                     "exercises[1].adapt.target": "no", "warmup": "false"},
                    {"exercises[1].finger_pairs": ["ring-little", "index-middle"]})
    checked = program_form.check_form(form)
    assert checked.ok, checked.problems
    entry = checked.level.exercises[0]
    assert entry.finger_pairs == ["index-middle", "ring-little"] and entry.hold_s == 1.5
    assert entry.adapt.target is False and checked.level.warmup is False
    back = program_form.form_from_level(checked.level)
    assert back.pairs["exercises[1].finger_pairs"] == ["index-middle", "ring-little"]
    assert back["exercises[1].adapt.target"] == "no" and back["exercises[1].hold_s"] == "1.5"


def test_a_first_program_is_the_exercise_sheets_three_sets_of_ten():
    checked = program_form.check_form(program_form.new_program_form("Program for Ann"))
    assert checked.ok and checked.level.total_reps == 30


# ------------------------------------------------------------------ flags
TODAY = date(2026, 11, 29)


def test_falling_adherence_needs_both_a_low_week_and_a_fall():
    assert flags.adherence_flag(50, 200, 210).key == "adherence"
    assert "50 repetitions in the last 7 days: 24% of the 210 prescribed, down from 200" in \
        flags.adherence_flag(50, 200, 210).why
    assert flags.adherence_flag(50, 40, 210) is None  # low, but not falling
    assert flags.adherence_flag(150, 200, 210) is None  # falling, but above half
    assert flags.adherence_flag(0, 0, 210) is None  # never played: nothing to fall from
    assert flags.adherence_flag(0, 10, 0) is None  # no program


def _ratings(rows):
    """(days ago, pain, tiredness) per session -> day totals as the database sums them."""
    out = []
    for d, p, t in rows:
        day = TODAY - timedelta(days=d)
        out += [flags.Rating(day, "pain", p, 1, p), flags.Rating(day, "tiredness", t, 1, t)]
    return out


def test_pain_and_tiredness_rising_or_high():
    calm = _ratings([(d, 2, 3) for d in range(0, 28, 2)])
    assert flags.pain_flag(calm, TODAY) is None and flags.tiredness_flag(calm, TODAY) is None
    rising = _ratings([(d, 2, 3) for d in range(8, 28, 2)] + [(1, 3.5, 4.5), (3, 3, 4)])
    assert "3.2 of 10 on average in the last 7 days, 2.0 in the 3 weeks before" in flags.pain_flag(rising, TODAY).why
    assert flags.tiredness_flag(rising, TODAY).key == "tiredness"
    two_a_day = [flags.Rating(TODAY - timedelta(days=d), "pain", 4, 2, 2) for d in range(8, 28)] + \
        [flags.Rating(TODAY - timedelta(days=1), "pain", 7, 2, 4)]  # sums of two ratings a day: 2.0, then 3.5
    assert "3.5 of 10 on average in the last 7 days, 2.0 in the 3 weeks before" in flags.pain_flag(two_a_day, TODAY).why
    high = _ratings([(2, 7, 1)])
    assert flags.pain_flag(high, TODAY).why == "Rated 7 of 10 on 27 Nov 2026."
    assert flags.tiredness_flag(high, TODAY) is None


def test_a_drop_in_strength_in_device_units_and_in_kg():
    def pts(values, units="device units"):
        return [flags.Strength(TODAY - timedelta(days=7 * (len(values) - i)), v, units) for i, v in enumerate(values)]

    assert flags.strength_flag(pts([300, 310, 305, 250, 255, 252])).key == "strength"
    assert flags.strength_flag(pts([300, 310, 305, 290, 295, 300])) is None  # 3%: noise
    assert flags.strength_flag(pts([300, 310, 305])) is None  # too few to compare
    assert flags.strength_flag(pts([30, 31, 30, 24, 25, 25], "kg")).why.startswith("Strongest squeeze 25.0 kg")
    assert flags.strength_flag(pts([30, 31, 30, 27, 26, 27], "kg")) is None  # 4 kg: under the 5 kg that matters


# ------------------------------------------------------------------ charts and pictures
def test_charts_are_svg_with_real_text_and_no_pictures():
    days = [TODAY - timedelta(days=i) for i in range(27, -1, -1)]
    svg = str(charts.render(charts.Chart("Reps per day", "repetitions",
                                         [charts.Series("reps", [(days[3], 40), (days[10], 55)], bars=True),
                                          charts.Series("success", [(days[3], 30.0), (days[10], 50.0)])],
                                         chart_id="c1"), days))
    assert svg.startswith("<figcaption>Reps per day</figcaption><svg") and "<image" not in svg
    texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert "repetitions" in texts and "reps" in texts and "success" in texts
    assert {"0", "20", "40", "60"} <= set(texts)  # y ticks
    assert f"{days[0].day} Nov" in texts
    assert f"<title>{days[10].day} Nov 2026: reps 55</title>" in svg
    assert 'aria-labelledby="c1-t c1-d"' in svg
    empty = str(charts.render(charts.Chart("Pain", "0-10", [charts.Series("pain", [])], chart_id="c2"), days))
    assert "No data in these days." in re.findall(r"<text[^>]*>([^<]+)</text>", empty)


def test_every_exercise_has_its_picture():
    import struct

    for ex_id, name, what in program_form.exercise_choices():
        png = (STATIC / "exercises" / f"{ex_id}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (528, 276)
        assert name and what  # alt text and the choice's words


# ------------------------------------------------------------------ exports from server records
def test_exports_from_server_records_match_the_games_own(tmp_path):
    """Records as the server keeps them -> the game's database -> the game's CSV export:
    the same repetitions, measurements and sessions as the CSV made on the PC itself."""
    from game.records.export import export_csv
    from server.portal.exports import fill_store
    from tests.portal.game_records import records_of
    from tests.records_history import build_history

    h = build_history(tmp_path / "pc", days=6)
    original = export_csv(h.store, h.patient_id)
    h.store.close()
    patient_uid = str(uuid.uuid4())
    recs = records_of(tmp_path / "pc", "Ann", patient_uid, None, None)
    rows = [SimpleNamespace(uid=uuid.UUID(r["uid"]), kind=r["kind"], recorded_at=datetime.fromisoformat(r["recorded_at"]),
                            session_uid=uuid.UUID(r["session_uid"]) if r["session_uid"] else None, body=r["body"])
            for r in recs if r["kind"] != "patient"]
    from game.records.storage import Store

    store = Store(tmp_path / "server-copy.sqlite3", background=False, spill=False)
    patient = SimpleNamespace(display_name="Ann", initials="AN", hand="right",
                              created_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    pid = fill_store(store.db, patient, rows)
    copy = export_csv(store, pid)
    from game.records.export import export_fhir

    bundle = json.loads(export_fhir(store, pid))  # the FHIR export runs on the same copy
    store.close()
    assert bundle["resourceType"] == "Bundle"
    assert sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation") >= len(h.session_ids)

    def table(text):
        r = list(csv.DictReader(io.StringIO(text)))
        for row in r:
            for k in ("patient_id", "session_id", "rep_id"):
                row.pop(k, None)
        return sorted(r, key=lambda x: (x["recorded_at"], x["exercise"], x["set_number"], x["rep_number"]))

    a, b = table(original), table(copy)
    assert len(a) == h.reps > 0
    assert a == b
