"""Exports for the therapist: the CSV has every rep, the JSON everything, the FHIR bundle validates."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from game.records.export import ExportError, export_csv, export_data, export_fhir, export_fhir_bundle, find_patient
from tests.records_history import build_history

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    h = build_history(tmp_path_factory.mktemp("records"), days=10, skip=(4,))
    yield h
    h.store.close()


def test_csv_has_every_rep_with_its_measurements(history):
    rows = list(csv.DictReader(io.StringIO(export_csv(history.store, history.patient_id))))
    db_reps = history.store.reps()
    assert len(rows) == len(db_reps) == history.reps
    for row, rep in zip(rows, db_reps):
        assert int(row["session_id"]) == rep["session_id"] and int(row["rep_number"]) == rep["rep_number"]
        assert float(row["peak_pct"]) == pytest.approx(rep["peak_pct"])
        assert row["success"] == str(rep["success"]) and row["failure"] == (rep["failure"] or "")
        assert row["recorded_at"].startswith("2026-03-")
    assert {r["session_end_reason"] for r in rows} == {"completed", "stopped_pain"}


def test_json_has_sessions_sets_events_and_changes(history):
    data = json.loads(json.dumps(export_data(history.store, history.patient_id), default=str))
    sessions = data["sessions"]
    assert len(sessions) == len(history.session_ids)
    assert sum(len(s["reps"]) for s in sessions) == history.reps
    assert all(len(s["sets"]) == 2 and s["difficulty_changes"] for s in sessions)
    assert sessions[0]["pain_before"] is not None and "Not a calibrated dynamometer" in data["note"]
    assert data["patient"]["name"] == "Ann"
    assert export_data(history.store, history.patient_id, include_name=False)["patient"]["name"] == "patient 1"


def test_fhir_bundle_validates_and_is_coded_honestly(history):
    from fhir.resources.R4B.bundle import Bundle

    text = export_fhir(history.store, history.patient_id)
    bundle = Bundle.model_validate_json(text)  # the library's own validation
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds.count("Patient") == 1 and kinds.count("Device") == 1
    sessions = [e.resource for e in bundle.entry
                if e.resource.get_resource_type() == "Observation" and e.resource.code.coding[0].code ==
                "hand-exercise-session"]
    assert len(sessions) == len(history.session_ids)
    reps = 0
    for obs in sessions:
        comp = {c.code.coding[0].code: c.valueQuantity for c in obs.component}
        reps += int(comp["reps-attempted"].value)
        assert comp["mvc-device"].unit == "device units" and comp["mvc-device"].system is None  # not kg
        assert "Not a calibrated dynamometer" in obs.method.text
        assert obs.interpretation is None  # the game does not diagnose
        assert obs.subject.reference.startswith("urn:uuid:")
    assert reps == history.reps
    # Nothing claims to be a dynamometer grip-strength reading (LOINC 83174-3 and friends).
    assert "83174" not in text and "dynamometer reading" not in text.replace("Not a calibrated dynamometer reading", "")
    pain = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"
            and e.resource.code.coding[0].code == "72514-3"]
    assert len(pain) == 2 * len(history.session_ids)
    anon = export_fhir_bundle(history.store, history.patient_id, include_name=False)
    assert anon.entry[0].resource.name is None


def test_find_patient_explains_what_is_wrong(history):
    assert find_patient(history.store, "ann")["id"] == history.patient_id
    assert find_patient(history.store, str(history.patient_id))["name"] == "Ann"
    with pytest.raises(ExportError, match="no patient 'Zed'.*known: Ann \\(id 1\\)"):
        find_patient(history.store, "Zed")


def test_export_command_writes_a_private_file(history, tmp_path):
    out = tmp_path / "ann.csv"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    folder = history.store.path.parent
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", "--patient", "Ann", "--format", "csv",
                          "--out", str(out), "--data-dir", str(folder)], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(out.read_text().splitlines()) == history.reps + 1
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", "--patient", "Zed", "--data-dir",
                          str(folder)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and "no patient 'Zed'" in bad.stderr
    missing = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", "--patient", "Ann", "--data-dir",
                              str(tmp_path / "nowhere")], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert missing.returncode == 2 and "no records at" in missing.stderr
    assert not (tmp_path / "nowhere").exists()  # an export never creates an empty database
