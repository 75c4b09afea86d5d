"""Patient profiles: create, find, select, rename, archive; what each holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.levels import SHIPPED_DIR, level_dirs
from game.profiles import (
    TILE_COLOURS,
    TILE_ICONS,
    ProfileError,
    Profiles,
    initials_for,
    parse_setting,
    starting_patient,
)
from game.program import SessionPlan
from game.records.storage import Store


class Wall:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "db.sqlite3", wall=Wall())
    yield s
    s.close()


def test_create_gives_each_patient_a_distinct_tile_and_keeps_what_it_holds(store):
    pr = Profiles(store)
    ann = pr.create("  Ann   Marie Byrne ", hand="left", level="gentle_start.yaml")
    bob = pr.create("Bob")
    assert ann.name == "Ann Marie Byrne" and ann.initials == "AMB" and ann.hand == "left"
    assert ann.level == "gentle_start.yaml" and bob.level is None
    assert (ann.colour, ann.icon) != (bob.colour, bob.icon)
    assert ann.colour in TILE_COLOURS and ann.icon in TILE_ICONS
    assert bob.initials == "BO" and initials_for("jean-luc picard") == "JLP"
    again = Profiles(store).get(ann.id)  # read back from the database
    assert again == ann


@pytest.mark.parametrize(("name", "words"), [
    ("", "needs a name"), ("   ", "needs a name"), ("x" * 41, "40 at most"), ("Ann\x07", "control characters"),
])
def test_bad_names_are_refused_plainly(store, name, words):
    with pytest.raises(ProfileError, match=words):
        Profiles(store).create(name)


def test_names_are_unique_among_active_patients_ignoring_case(store):
    pr = Profiles(store)
    pr.create("Ann")
    with pytest.raises(ProfileError, match="already a patient called 'Ann'"):
        pr.create("ann")
    with pytest.raises(ProfileError, match="left or right"):
        pr.create("Cat", hand="both")
    with pytest.raises(ProfileError, match="initials"):
        pr.create("Dan", initials="ABCD")


def test_find_by_number_or_name_with_suggestions(store):
    pr = Profiles(store)
    ann = pr.create("Ann Marie")
    assert pr.find(str(ann.id)) == ann and pr.find("ann marie") == ann
    with pytest.raises(ProfileError, match="did you mean 'Ann Marie'"):
        pr.find("ann")
    with pytest.raises(ProfileError, match="no patient number 99"):
        pr.find("99")


def test_select_makes_the_patient_the_one_the_game_starts_with(store):
    pr = Profiles(store)
    a, b = pr.create("A"), pr.create("B")
    assert pr.current().id == a.id  # nobody selected yet: the first
    pr.select(b.id)
    assert pr.current().id == b.id
    pr.select(a.id)
    assert pr.current().id == a.id


def test_rename_and_archive_keep_the_records(store):
    pr = Profiles(store)
    ann = pr.create("Ann")
    session = store.start_session(ann.id, input_device="Keyboard")
    store.end_session(session, "completed")
    renamed = pr.rename(ann.id, "Annie Byrne")
    assert renamed.name == "Annie Byrne" and renamed.initials == "AB"
    custom = pr.rename(ann.id, "Annie B", initials="zz")
    assert custom.initials == "ZZ"
    assert pr.rename(ann.id, "Annie C").initials == "ZZ"  # hand-chosen initials stay
    pr.archive(ann.id)
    assert [p.name for p in pr.list()] == []
    assert [p.name for p in pr.list(include_archived=True)] == ["Annie C"]
    with pytest.raises(ProfileError, match="archived"):
        pr.select(ann.id)
    pr.create("Annie C")  # the name is free again while archived
    with pytest.raises(ProfileError, match="already a patient"):
        pr.restore(ann.id)
    if hasattr(store, "flush"):
        store.flush()
    assert len(store.sessions(ann.id)) == 1  # nothing of theirs was deleted


def test_settings_hand_level_difficulty_and_calibration(store):
    pr = Profiles(store)
    ann = pr.create("Ann")
    assert pr.update_settings(ann.id, sound=False, keyboard_effort_pct=40).settings == {
        "sound": False, "keyboard_effort_pct": 40}
    assert pr.update_settings(ann.id, text_scale=1.25).settings["sound"] is False
    with pytest.raises(ProfileError, match="did you mean 'sound'"):
        pr.update_settings(ann.id, sond=True)
    with pytest.raises(ProfileError, match="10 to 100"):
        pr.update_settings(ann.id, keyboard_effort_pct=400)
    assert pr.set_hand(ann.id, "LEFT").hand == "left"
    assert pr.assign_level(ann.id, "classic_home.yaml").level == "classic_home.yaml"
    state = {"target_pct": 22.0, "hold_s": 0.5}
    assert pr.set_difficulty(ann.id, "power_grip", state).difficulty == {"power_grip": state}
    assert pr.calibration(pr.get(ann.id)) is None
    old = store.save_calibration(ann.id, "left", baseline=40, mvc=300, noise_sd=2)
    new = store.save_calibration(ann.id, "left", baseline=42, mvc=330, noise_sd=2)
    store.save_calibration(ann.id, "right", baseline=0, mvc=999)
    if hasattr(store, "flush"):
        store.flush()
    assert pr.calibration(pr.get(ann.id)).mvc == 330  # newest for the hand trained
    pr.set_calibration(ann.id, old)
    assert pr.calibration(pr.get(ann.id)).mvc == 300  # the one chosen
    assert new != old


def test_a_damaged_settings_cell_does_not_lock_the_patient_out(store):
    ann = Profiles(store).create("Ann")
    with store.transaction() as db:
        db.execute("UPDATE patients SET settings='{not json' WHERE id=?", (ann.id,))
    assert Profiles(store).get(ann.id).settings == {}


def test_parse_setting():
    assert parse_setting("sound=off") == ("sound", False)
    assert parse_setting("keyboard_effort_pct=40") == ("keyboard_effort_pct", 40)
    assert parse_setting("text_scale=1.2") == ("text_scale", 1.2)
    with pytest.raises(ProfileError, match="name=value"):
        parse_setting("sound")


def test_starting_patient_and_program(store, tmp_path: Path):
    dirs = level_dirs(None)
    first = starting_patient(store, None, None, dirs)  # an empty database: a first patient, the default plan
    assert first.plan == SessionPlan() and first.note == ""
    pr = Profiles(store)
    ann = pr.create("Ann", level="gentle_start")
    got = starting_patient(store, "ann", None, dirs)
    assert got.patient_id == ann.id and got.plan.name == "Gentle start"
    assert pr.current().id == ann.id
    assert starting_patient(store, None, "classic_home", dirs).plan.name == "Classic home routine"
    # A broken assigned level: the default program, with a note that says why.
    broken = tmp_path / "levels"
    broken.mkdir()
    (broken / "mine.yaml").write_text("name: Mine\nexercises:\n  - exercise: pinch\n    reps: ten\n")
    pr.assign_level(ann.id, "mine.yaml")
    got = starting_patient(store, None, None, (SHIPPED_DIR, broken))
    assert got.plan == SessionPlan() and "line 4" in got.note and "`reps`" in got.note
    with pytest.raises(ValueError, match="line 4"):
        starting_patient(store, None, str(broken / "mine.yaml"), dirs)
    with pytest.raises(ValueError, match="no level 'nope'"):
        starting_patient(store, None, "nope", dirs)
    with pytest.raises(ValueError, match="no patient called 'Zed'"):
        starting_patient(store, "Zed", None, dirs)
