#!/usr/bin/env bash
# Squeeze Quest as a patient or a clinic installs it (issue 18), not from the checkout:
# a wheel built in a clean venv, installed WITHOUT -e in another clean venv, and run from a
# folder where the checkout cannot be imported: a headless scripted set (reps saved), levels
# check (shipped and own levels), monitor --help, a device profile, report without and with
# the [reports] extra, and the kiosk supervisor started and stopped. Prints its time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1
start=$SECONDS
work="$(mktemp -d)"
sup_pid=""
cleanup() {
  if [ -n "$sup_pid" ] && kill -0 "$sup_pid" 2>/dev/null; then kill "$sup_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "installed: $* ($((SECONDS - start)) s)"; }
fail() { echo "installed: FAILED: $*" >&2; exit 1; }

# 1. The wheel, built in a clean venv; it holds the data under one namespaced package.
"$PY" -m venv "$work/build"
"$work/build/bin/python" -m pip wheel -q --no-deps -w "$work/dist" "$ROOT"
wheel="$(ls "$work"/dist/squeeze_quest-*.whl)"
"$work/build/bin/python" - "$wheel" <<'PY'
import sys
import zipfile

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["game/__main__.py", "game/resources.py", "hardware/profiles/squeeze_ball.yaml",
        "squeeze_quest_data/__init__.py", "squeeze_quest_data/assets/fonts/AtkinsonHyperlegible-Regular.ttf",
        "squeeze_quest_data/assets/fonts/AtkinsonHyperlegible-Bold.ttf", "squeeze_quest_data/levels/schema.json",
        "squeeze_quest_data/levels/gentle_start.yaml",
        "game/locale/de/LC_MESSAGES/squeeze_quest.mo", "game/locale/zh_Hans/LC_MESSAGES/squeeze_quest.mo",
        "squeeze_quest_data/assets/fonts/NotoSansCJKsc-Regular-subset.otf",
        "server/cli.py", "server/migrations/env.py", "server/migrations/script.py.mako"]
missing = [n for n in need if n not in names]
tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
assert not missing, f"missing from the wheel: {missing}"
# server: the clinic server (issue 15), the one top-level package beyond the game's; its
# dependencies are the [server] extra, so a patient's install never loads it.
assert tops == {"game", "hardware", "server", "squeeze_quest_data"}, f"unexpected top-level names in the wheel: {tops}"
PY
step "wheel built: $(basename "$wheel")"

# 2. Installed (not editable) in another clean venv; everything below runs outside the checkout.
"$PY" -m venv "$work/play"
"$work/play/bin/python" -m pip install -q "$wheel"
cd "$work"
SQ="$work/play/bin/squeeze-quest"
PYI="$work/play/bin/python"
"$PYI" - "$ROOT" <<'PY'
import sys
from pathlib import Path

import game
from game.resources import checkout_root, font_file, shipped_levels_dir
from hardware.line_formats import PROFILE_DIR

root = Path(sys.argv[1]).resolve()
for p in (Path(game.__file__), font_file(), shipped_levels_dir(), PROFILE_DIR):
    assert root not in p.resolve().parents and "site-packages" in str(p), f"{p} is not the installed copy"
assert checkout_root() is None
PY
step "installed without -e: the environment is $(du -sm "$work/play" | cut -f1) MB"

# 3. A headless scripted set, saved in its --data-dir.
"$SQ" --headless --input sim --exercise power_grip --reps 3 --seconds 30 --mute --data-dir data \
  || fail "the headless scripted set"
"$PYI" - <<'PY' > patient.txt
import sqlite3

from game.records.storage import DB_NAME

db = sqlite3.connect(f"data/{DB_NAME}")
n = db.execute("SELECT count(*) FROM reps").fetchone()[0]
assert n == 3, f"{n} reps recorded, 3 expected"
print(db.execute("SELECT patient_id FROM sessions ORDER BY id LIMIT 1").fetchone()[0])
PY
step "scripted set played: 3 reps recorded"

# 4. levels check: the shipped programs and one of the therapist's own (data folder).
mkdir -p data/levels
sed 's/^name: .*/name: My own program/' "$("$PYI" -c 'from game.resources import shipped_levels_dir as d; print(d())')/gentle_start.yaml" \
  > data/levels/mine.yaml
"$SQ" levels check --data-dir data > levels.txt || { cat levels.txt; fail "levels check"; }
grep -q "gentle_start.yaml: Gentle start" levels.txt && grep -q "mine.yaml: My own program" levels.txt \
  || { cat levels.txt; fail "levels check did not list the shipped and own levels"; }
"$SQ" monitor --help > /dev/null || fail "monitor --help"
"$PYI" -c "from hardware.line_formats import load_profile; load_profile('squeeze_ball')" || fail "--profile squeeze_ball"
# The installed copy finds its translations (game/locale inside the package).
LANGUAGE=de "$SQ" levels check --data-dir data | grep -q "Dateien geprüft" || fail "levels check is not in German with LANGUAGE=de"
step "levels check, monitor --help, device profile"

# 5. report: without the extra, a plain message; with it, a PDF.
if "$SQ" report --patient "$(cat patient.txt)" --out report.pdf --data-dir data 2> report.err; then
  fail "report ran without the [reports] extra"
fi
grep -q "pip install 'squeeze-quest\[reports\]'" report.err || { cat report.err; fail "no install hint without the extra"; }
"$work/play/bin/python" -m pip install -q "${wheel}[reports]"
"$SQ" report --patient "$(cat patient.txt)" --out report.pdf --data-dir data || fail "report with the extra"
[ -s report.pdf ] || fail "no report.pdf"
step "report: the missing extra said, then a PDF of $(wc -c < report.pdf) bytes; with the extra $(du -sm "$work/play" | cut -f1) MB"

# 6. The kiosk supervisor: starts the game (python -m game), and a stop stops both.
printf '246810\n246810\n' | "$SQ" staff --data-dir kiosk set-pin > /dev/null 2>&1 || fail "staff set-pin"
"$SQ" kiosk-supervise -- --headless --input keyboard --mute --data-dir kiosk > sup.log 2>&1 &
sup_pid=$!
for _ in $(seq 1 100); do grep -q "started the kiosk" sup.log && break; sleep 0.2; done
grep -q "started the kiosk" sup.log || { cat sup.log; fail "the supervisor did not start the kiosk"; }
sleep 2  # the game is up and playing
kiosk_pid="$(sed -n 's/.*started the kiosk (pid \([0-9]*\)).*/\1/p' sup.log | head -1)"
kill -0 "$kiosk_pid" 2>/dev/null || { cat sup.log; fail "the kiosk game stopped by itself"; }
tr '\0' ' ' < "/proc/$kiosk_pid/cmdline" | grep -q -- "-m game --kiosk" || fail "the kiosk was not started as python -m game"
kill -TERM "$sup_pid"
code=0; wait "$sup_pid" || code=$?
sup_pid=""
[ "$code" = 0 ] && grep -q "kiosk-supervise: stopped" sup.log || { cat sup.log; fail "the supervisor's stop (exit $code)"; }
! kill -0 "$kiosk_pid" 2>/dev/null || fail "the kiosk game outlived its supervisor"
step "kiosk supervisor started the game and stopped it"

echo "installed: all checks passed in $((SECONDS - start)) s"
