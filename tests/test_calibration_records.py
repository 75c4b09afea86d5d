"""Calibrations are stored per patient and hand, newest first, and survive a reopen."""

from __future__ import annotations

import json

import pytest

from game.records.storage import SCHEMA_VERSION, Store


def test_save_and_load_calibrations_per_hand(tmp_path):
    now = [1000.0]
    store = Store.in_dir(tmp_path, wall=lambda: now[0])
    pid = store.ensure_patient("Ann")
    for i, mvc in enumerate((300.0, 320.0, 280.0)):
        now[0] += 60
        store.save_calibration(pid, "right", baseline=40 + i, mvc=mvc, noise_sd=1.5, device="Ball",
                               trials={"mvc_trials": [mvc, mvc - 10, mvc - 20]})
    store.save_calibration(pid, "left", baseline=30, mvc=150, units="kg", scale=0.05)
    store.close()

    store = Store.in_dir(tmp_path)
    assert store.version == SCHEMA_VERSION
    right = store.calibrations(pid, "right")
    assert [r["mvc"] for r in right] == [280.0, 320.0, 300.0]  # newest first
    assert json.loads(right[0]["trials"])["mvc_trials"] == [280.0, 270.0, 260.0]
    assert right[0]["units"] == "device units" and right[0]["scale"] is None
    left = store.calibrations(pid, "left", limit=3)
    assert len(left) == 1 and left[0]["units"] == "kg" and left[0]["scale"] == pytest.approx(0.05)
    assert len(store.calibrations(pid)) == 4
    store.close()


def test_calibration_rejects_non_positive_mvc(tmp_path):
    import sqlite3

    store = Store.in_dir(tmp_path)
    pid = store.ensure_patient()
    with pytest.raises(sqlite3.IntegrityError):
        store.save_calibration(pid, "right", baseline=10, mvc=0)
    store.close()
