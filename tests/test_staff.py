"""The staff PIN: salted scrypt hash, constant-time check, lockout kept over a restart."""

from __future__ import annotations

import io

import pytest

from game.cli import main
from game.staff import KioskSettings, PinError, StaffLock, check_new_pin, name_on_tile
from game.storage import Store


class Wall:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def store_at(tmp_path, wall: Wall) -> Store:
    return Store.in_dir(tmp_path, wall=wall, background=False)


@pytest.mark.parametrize("pin, why", [
    ("12a4", "digits only"), ("123", "4 to 12 digits"), ("1" * 13 + "2", "4 to 12 digits"),
    ("7777", "one digit repeated"), ("1234", "run of digits"), ("98765", "run of digits"), ("", "digits only"),
])
def test_weak_or_malformed_pins_are_refused_with_the_reason(pin: str, why: str) -> None:
    with pytest.raises(PinError, match=why):
        check_new_pin(pin)


def test_pin_is_stored_as_a_salted_hash_never_as_digits(tmp_path) -> None:
    wall = Wall()
    store = store_at(tmp_path, wall)
    lock = StaffLock(store)
    assert not lock.has_pin and lock.check("2580").no_pin
    lock.set_pin("258013")
    row = store.db.execute("SELECT * FROM staff_pin").fetchone()
    first_salt, first_hash = bytes(row["salt"]), bytes(row["hash"])
    assert len(first_salt) == 16 and len(first_hash) == 32 and b"258013" not in first_hash
    assert "scrypt" in row["kdf"]
    lock.set_pin("258013")  # the same PIN again: a new salt, so a new hash
    row = store.db.execute("SELECT * FROM staff_pin").fetchone()
    assert bytes(row["salt"]) != first_salt and bytes(row["hash"]) != first_hash
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"258013" not in raw
    assert StaffLock(store_at(tmp_path, wall)).check("258013").ok


def test_wrong_tries_lock_entry_and_the_lock_survives_a_restart(tmp_path) -> None:
    wall = Wall()
    store = store_at(tmp_path, wall)
    lock = StaffLock(store, max_tries=5, lockout_s=300)
    lock.set_pin("2580")
    answers = [lock.check("1111") for _ in range(4)]
    assert [a.tries_left for a in answers] == [4, 3, 2, 1]
    assert "Wrong PIN. 1 try left." == answers[-1].message
    fifth = lock.check("0000")
    assert not fifth.ok and fifth.locked_for_s == 300 and "Locked for 5 minutes" in fifth.message
    assert not lock.check("2580").ok  # the right PIN is refused while locked
    store.close()

    wall.t += 200  # the PC restarts: still locked, for what is left
    store = store_at(tmp_path, wall)
    lock = StaffLock(store, max_tries=5, lockout_s=300)
    again = lock.check("2580")
    assert not again.ok and again.locked_for_s == pytest.approx(100)
    wall.t += 101
    assert lock.check("2580").ok  # after the lockout, the right PIN opens and the count starts over
    assert lock.tries_left() == 5 and lock.locked_for() == 0
    kinds = [r["kind"] for r in store.events()]
    assert kinds.count("staff_pin_wrong") == 4 and "staff_locked" in kinds and "staff_unlocked" in kinds
    store.close()


def test_each_lockout_in_a_row_is_longer(tmp_path) -> None:
    wall = Wall()
    lock = StaffLock(store_at(tmp_path, wall), max_tries=2, lockout_s=60, max_lockout_s=200)
    lock.set_pin("2580")
    spans = []
    for _ in range(4):
        lock.check("1")
        spans.append(lock.check("1").locked_for_s)
        wall.t += spans[-1] + 1
    assert spans == [60, 120, 200, 200]


def test_kiosk_settings_and_names_on_tiles(tmp_path) -> None:
    from game.profiles import Profiles

    store = store_at(tmp_path, Wall())
    settings = KioskSettings(store)
    assert settings.show_names is False  # names off unless the clinic turns them on
    p = Profiles(store).create("Ann Byrne")
    assert not name_on_tile(p, settings.show_names)
    settings.set("show_names", True)
    assert KioskSettings(store).show_names and name_on_tile(p, True)
    shy = Profiles(store).update_settings(p.id, show_full_name=False)
    assert not name_on_tile(shy, True)  # the patient's own choice wins
    with pytest.raises(KeyError, match="not a kiosk setting"):
        settings.set("show_name", True)


def test_set_pin_command_from_stdin_and_status(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("4711\n"))
    assert main(["staff", "--data-dir", str(tmp_path), "set-pin", "--pin-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("abcd\n"))
    assert main(["staff", "--data-dir", str(tmp_path), "set-pin", "--pin-stdin"]) == 2
    err = capsys.readouterr().err
    assert "digits only" in err and "nothing was changed" in err
    assert main(["staff", "--data-dir", str(tmp_path), "status"]) == 0
    out = capsys.readouterr().out
    assert "Staff PIN is set" in out and "5 tries" in out and "Names on tiles: off" in out
    store = Store.in_dir(tmp_path, background=False)
    assert StaffLock(store).check("4711").ok
    store.close()


def test_set_pin_command_asks_twice_without_echo(tmp_path, monkeypatch, capsys) -> None:
    answers = iter(["8024", "8042"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["staff", "--data-dir", str(tmp_path), "set-pin"]) == 1
    assert "the two PINs differ" in capsys.readouterr().err
    answers = iter(["8024", "8024"])
    assert main(["staff", "--data-dir", str(tmp_path), "set-pin"]) == 0
    store = Store.in_dir(tmp_path, background=False)
    assert StaffLock(store).check("8024").ok
    store.close()
