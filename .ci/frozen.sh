#!/usr/bin/env bash
# The PyInstaller one-folder build (packaging/squeeze_quest.spec, issue 18): built in a clean
# venv, then run from a folder outside the checkout: a headless scripted set (exit 0, reps
# saved in its --data-dir), levels check, the device profiles listed. Prints its time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1
start=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { echo "frozen: $* ($((SECONDS - start)) s)"; }
fail() { echo "frozen: FAILED: $*" >&2; exit 1; }

"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$ROOT" "pyinstaller>=6.0"
step "build tools installed"
cd "$work"
"$work/venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$work/dist" --workpath "$work/build" \
  "$ROOT/packaging/squeeze_quest.spec"
APP="$work/dist/squeeze-quest/squeeze-quest"
[ -x "$APP" ] || fail "no $APP"
step "one-folder build: $(du -sh "$work/dist/squeeze-quest" | cut -f1)"

mkdir run && cd run
"$APP" --headless --input sim --exercise power_grip --reps 3 --seconds 30 --mute --data-dir data \
  || fail "the scripted set (exit $?)"
n="$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM reps").fetchone()[0])' \
  data/squeeze_quest.sqlite3)"
[ "$n" = 3 ] || fail "$n reps recorded, 3 expected"
"$APP" levels check --data-dir data > levels.txt || { cat levels.txt; fail "levels check"; }
grep -q "gentle_start.yaml: Gentle start" levels.txt || { cat levels.txt; fail "levels check found no shipped level"; }
grep -q "shipped programs (read-only): $work/dist/squeeze-quest/" levels.txt \
  || { cat levels.txt; fail "the shipped levels are not the build's own"; }
"$APP" devices --json | grep -q "squeeze_ball" || fail "the device profiles are not listed"
step "scripted set played (3 reps saved), levels checked, profiles listed"
echo "frozen: all checks passed in $((SECONDS - start)) s"
