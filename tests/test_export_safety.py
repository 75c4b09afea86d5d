"""Exports and reports are health data leaving the game: they never write through a
symbolic link, are written whole or not at all (a temporary file beside the
destination, fsynced, then renamed), and end owner-only (0600) even over a 0644 file."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from game.cli import main
from game.records.export import ExportError, check_destination, private_output, write_private
from tests.records_history import build_history


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    h = build_history(tmp_path_factory.mktemp("records"), days=3, skip=())
    yield h
    h.store.close()


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def export_cli(history, out: Path, *extra: str) -> int:
    return main(["export", "--patient", "Ann", "--format", "csv", "--out", str(out),
                 "--data-dir", str(history.store.path.parent), *extra])


# ------------------------------------------------------------------ links
def test_export_refuses_a_symlink_and_leaves_its_target_alone(history, tmp_path: Path, capsys):
    target = tmp_path / "someone_elses.txt"
    target.write_text("precious\n")
    target.chmod(0o644)
    link = tmp_path / "ann.csv"
    link.symlink_to(target)
    assert export_cli(history, link) == 2
    err = capsys.readouterr().err
    assert "main.py export:" in err and "is a link to another file, so nothing was written" in err
    assert "remove the link first" in err
    assert target.read_text() == "precious\n" and mode(target) == 0o644
    assert link.is_symlink() and leftovers(tmp_path) == []
    # A dangling link (pointing at a file that would be created) is refused too.
    dangling = tmp_path / "new.csv"
    dangling.symlink_to(tmp_path / "created_elsewhere.csv")
    assert export_cli(history, dangling) == 2
    assert not (tmp_path / "created_elsewhere.csv").exists()


def test_report_refuses_a_symlink(history, tmp_path: Path, capsys):
    target = tmp_path / "other.png"
    target.write_bytes(b"not mine")
    link = tmp_path / "ann.png"
    link.symlink_to(target)
    assert main(["report", "--patient", "Ann", "--out", str(link), "--data-dir", str(history.store.path.parent)]) == 2
    assert "main.py report:" in capsys.readouterr().err
    assert target.read_bytes() == b"not mine" and link.is_symlink()


def test_a_folder_or_a_device_is_not_a_destination(tmp_path: Path):
    with pytest.raises(ExportError, match="is a folder"):
        check_destination(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="not an ordinary file"):
        write_private(fifo, "x")
    check_destination(tmp_path / "new.csv")  # a new file is fine
    check_destination(tmp_path / "sub" / "new.csv")  # in a folder yet to be made too


def test_a_link_that_appears_while_writing_is_replaced_not_followed(tmp_path: Path):
    target = tmp_path / "victim.txt"
    target.write_text("keep")
    out = tmp_path / "ann.csv"
    with pytest.raises(ExportError, match="is a link"):
        with private_output(out) as tmp:
            tmp.write_text("data")
            out.symlink_to(target)  # planted between the first check and the rename
    assert target.read_text() == "keep" and leftovers(tmp_path) == []


# ------------------------------------------------------------- owner only
def test_export_over_an_existing_0644_file_ends_0600_with_the_new_content(history, tmp_path: Path):
    out = tmp_path / "ann.csv"
    out.write_text("old export\n")
    out.chmod(0o644)
    old_inode = out.stat().st_ino
    assert export_cli(history, out) == 0
    assert mode(out) == 0o600
    lines = out.read_text().splitlines()
    assert lines[0].startswith("patient_id,") and len(lines) == history.reps + 1
    assert out.stat().st_ino != old_inode  # a new file took its place: nothing of the old mode survives
    assert leftovers(tmp_path) == []


def test_report_over_an_existing_0644_file_ends_0600(history, tmp_path: Path):
    out = tmp_path / "ann.png"
    out.write_bytes(b"old")
    out.chmod(0o644)
    assert main(["report", "--patient", "Ann", "--out", str(out), "--data-dir", str(history.store.path.parent)]) == 0
    assert mode(out) == 0o600 and out.read_bytes().startswith(b"\x89PNG")
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------- atomic
def test_the_temporary_file_is_private_beside_the_destination_and_fsynced(tmp_path: Path, monkeypatch):
    seen: dict = {}
    real_replace, real_fsync = os.replace, os.fsync

    def spy_fsync(fd):
        seen.setdefault("fsynced", []).append(fd)
        return real_fsync(fd)

    def spy_replace(src, dst):
        src, dst = Path(src), Path(dst)
        seen.update(src=src, dst=dst, mode=mode(src), content=src.read_text(), fsync_before=bool(seen.get("fsynced")))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    out = tmp_path / "ann.json"
    write_private(out, '{"a": 1}')
    assert seen["src"].parent == out.parent and seen["src"] != out and seen["dst"] == out
    assert seen["mode"] == 0o600 and seen["content"] == '{"a": 1}' and seen["fsync_before"]
    assert out.read_text() == '{"a": 1}'


def test_a_failed_write_keeps_the_old_file_whole_and_leaves_nothing_behind(tmp_path: Path, monkeypatch):
    out = tmp_path / "ann.csv"
    out.write_text("yesterday's export\n")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ExportError, match="No space left on device.*nothing was changed"):
        write_private(out, "today's export\n" * 1000)
    assert out.read_text() == "yesterday's export\n" and leftovers(tmp_path) == []
    monkeypatch.undo()
    # A writer that fails half-way (here: the report drawing) changes nothing either.
    with pytest.raises(RuntimeError):
        with private_output(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("drawing failed")
    assert out.read_text() == "yesterday's export\n" and leftovers(tmp_path) == []


def test_an_unwritable_folder_is_a_plain_message(tmp_path: Path, capsys, history, monkeypatch):
    import tempfile

    def read_only(*_a, **_k):  # as a read-only folder answers (root would write anyway, so it is simulated)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out = tmp_path / "ann.csv"
    assert export_cli(history, out) == 2
    err = capsys.readouterr().err
    assert f"main.py export: cannot write in {tmp_path} (Permission denied); choose another folder" in err
    assert not out.exists()
