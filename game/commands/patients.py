"""``main.py patients list|add|show|rename|archive|restore|assign|hand|select|set``:
patient profiles from a shell (the same as the patient screen in the game)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from game.i18n import N_, _
from game.cli import subcommand

PATIENT_HELP = N_("the patient's number or name")


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help=_("folder of the records database (default: the user's data folder)"))
    sub = p.add_subparsers(dest="patients_command", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help=_("list patients"))
    ls.add_argument("--all", action="store_true", help=_("include archived patients"))
    add = sub.add_parser("add", help=_("add a patient"))
    add.add_argument("name", help=_("a first name or nickname"))
    add.add_argument("--hand", default="right", help=_("the hand trained: left or right (default right)"))
    add.add_argument("--level", help=_("the program to assign: a level name (e.g. classic_home) or file"))
    add.add_argument("--initials", help=_("1 to 3 letters for the patient's tile (default: from the name)"))
    add.add_argument("--colour", help=_("tile colour"))
    add.add_argument("--icon", help=_("tile shape"))
    show = sub.add_parser("show", help=_("show one patient's profile"))
    show.add_argument("patient", help=_(PATIENT_HELP))
    ren = sub.add_parser("rename", help=_("rename a patient"))
    ren.add_argument("patient", help=_(PATIENT_HELP))
    ren.add_argument("new_name")
    ren.add_argument("--initials", help=_("new initials for the tile"))
    arc = sub.add_parser("archive", help=_("hide a patient from the picker (their records stay)"))
    arc.add_argument("patient", help=_(PATIENT_HELP))
    res = sub.add_parser("restore", help=_("bring an archived patient back"))
    res.add_argument("patient", help=_(PATIENT_HELP))
    asg = sub.add_parser("assign", help=_("assign a program (level file) to a patient"))
    asg.add_argument("patient", help=_(PATIENT_HELP))
    asg.add_argument("level", help=_("a level name (e.g. gentle_start), file name or path"))
    hand = sub.add_parser("hand", help=_("set the hand trained"))
    hand.add_argument("patient", help=_(PATIENT_HELP))
    hand.add_argument("hand", help=_("left or right"))
    sel = sub.add_parser("select", help=_("make this the patient the game starts with"))
    sel.add_argument("patient", help=_(PATIENT_HELP))
    st = sub.add_parser("set", help=_("change a patient's settings, e.g. sound=false keyboard_effort_pct=40"))
    st.add_argument("patient", help=_(PATIENT_HELP))
    st.add_argument("settings", nargs="+", metavar="NAME=VALUE")


def _when(t: float | None) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "never"


def _check_level(ref: str, data_dir: Path | None) -> tuple[str | None, str | None]:
    """(reference to store, problem to print) for a level the user named."""
    from game.levels import level_dirs, level_ref, load_level, resolve_level

    dirs = level_dirs(data_dir)
    path = resolve_level(ref, dirs)
    if path is None:
        from game.levels import level_files

        names = ", ".join(p.stem for p in level_files(dirs))
        return None, f"there is no level '{ref}'; the levels are: {names}"
    loaded = load_level(path)
    if not loaded.ok:
        return None, "that level file has problems, so it was not assigned:\n" + "\n".join(
            str(p) for p in loaded.problems)
    return level_ref(path, dirs), None


@subcommand("patients", N_("patient profiles: list, add, show, rename, archive, assign a level"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.profiles import ProfileError, Profiles, parse_setting
    from game.records.storage import Store

    data_dir = getattr(ns, "data_dir", None)
    store = Store.in_dir(data_dir)
    cmd = ns.patients_command
    profiles = Profiles(store, where=f"main.py patients {cmd}")  # each change is an event row saying so
    try:
        if cmd == "list":
            rows = profiles.list(include_archived=ns.all)
            if not rows:
                print(_("no patients yet: add one with  main.py patients add NAME"))
                return 0
            current = profiles.current()
            for p in rows:
                mark = "*" if current is not None and p.id == current.id else " "
                status = "  (archived)" if p.archived else ""
                print(f"{mark}{p.id:4d}  {p.name:<24} {p.initials:<3}  {p.hand:<5}  {p.level or '-'}{status}")
            return 0
        if cmd == "add":
            level = None
            if ns.level:
                level, problem = _check_level(ns.level, data_dir)
                if problem:
                    print(_('main.py patients add: {problem}').format(problem=problem), file=sys.stderr)
                    return 2
            p = profiles.create(ns.name, hand=ns.hand, level=level, initials=ns.initials, colour=ns.colour,
                                icon=ns.icon)
            print(_('added patient {id}: {name} ({initials}, {hand} hand, level {value})').format(id=p.id, name=p.name, initials=p.initials, hand=p.hand, value=p.level or _('none yet')))
            return 0
        p = profiles.find(ns.patient)
        if cmd == "show":
            _show(profiles, p, data_dir)
        elif cmd == "rename":
            old = p.name
            p = profiles.rename(p.id, ns.new_name, initials=ns.initials)
            print(_('renamed patient {id}: {old} -> {name} ({initials})').format(id=p.id, old=old, name=p.name, initials=p.initials))
        elif cmd == "archive":
            profiles.archive(p.id)
            print(_('archived patient {id}: {name} (records kept; main.py patients restore {id} undoes it)').format(id=p.id, name=p.name))
        elif cmd == "restore":
            profiles.restore(p.id)
            print(_('restored patient {id}: {name}').format(id=p.id, name=p.name))
        elif cmd == "assign":
            level, problem = _check_level(ns.level, data_dir)
            if problem:
                print(_('main.py patients assign: {problem}').format(problem=problem), file=sys.stderr)
                return 2
            profiles.assign_level(p.id, level)
            print(_('{name} now plays {level}').format(name=p.name, level=level))
        elif cmd == "hand":
            p = profiles.set_hand(p.id, ns.hand)
            print(_('{name} trains the {hand} hand').format(name=p.name, hand=p.hand))
        elif cmd == "select":
            p = profiles.select(p.id)
            print(_('the game will start with {name}').format(name=p.name))
        elif cmd == "set":
            changes = dict(parse_setting(s) for s in ns.settings)
            p = profiles.update_settings(p.id, **changes)
            print(f"{p.name}: " + ", ".join(f"{k}={v}" for k, v in sorted(p.settings.items())))
        return 0
    except ProfileError as exc:
        print(_('main.py patients {cmd}: {exc}').format(cmd=cmd, exc=exc), file=sys.stderr)
        return 2
    finally:
        store.close()


def _show(profiles, p, data_dir: Path | None) -> None:  # noqa: ANN001
    from game.levels import level_dirs, load_level, resolve_level

    print(_('patient {id}: {name}{value}').format(id=p.id, name=p.name, value=_('  (archived)') if p.archived else ''))
    print(_('  tile:         {initials}, {colour} {icon}').format(initials=p.initials, colour=p.colour, icon=p.icon))
    print(_('  hand trained: {hand}').format(hand=p.hand))
    if p.level:
        path = resolve_level(p.level, level_dirs(data_dir))
        if path is None:
            print(_('  level:        {level}  (file not found: the game will use the default program)').format(level=p.level))
        else:
            loaded = load_level(path)
            state = loaded.level.name if loaded.ok and loaded.level else "HAS PROBLEMS: " + str(loaded.problems[0])
            print(_('  level:        {level}  ({state})').format(level=p.level, state=state))
    else:
        print(_("  level:        none assigned (the default program)"))
    cal = profiles.calibration(p)
    print(_("  calibration:  ") + (_('strongest squeeze {mvc:.0f} {units} above rest {baseline:.0f}').format(mvc=cal.mvc, units=cal.units, baseline=cal.baseline)
                                if cal else _("not calibrated yet")))
    print(_("  settings:     ") + (", ".join(f"{k}={v}" for k, v in sorted(p.settings.items())) or _("defaults")))
    print(_("  difficulty:   ") + (", ".join(sorted(p.difficulty)) or _("not started")))
    print(_('  added:        {value};  last played: {value2}').format(value=_when(p.created_at), value2=_when(p.last_used_at)))
    changes = _changes(profiles.store, p.id)
    if changes:
        print(_('  changes:      the last {value} of {n} (what: old -> new, where)').format(value=min(5, len(changes)), n=len(changes)))
        for at, d in changes[-5:]:
            new = d.get("new")
            if d.get("what") == "patient added" and isinstance(new, dict):
                what = f"patient added ({new.get('hand')} hand)"
            else:
                what = f"{d.get('what')}: {d.get('old')} -> {new}"
            print(f"    {_when(at)}  {what}  ({d.get('where')})")


def _changes(store, patient_id: int) -> list[tuple[float, dict]]:  # noqa: ANN001
    """This patient's profile changes, oldest first, from the events (game.profiles writes them)."""
    import json

    out = []
    for row in store.events():
        if row["kind"] == "profile_change" and row["detail"]:
            detail = json.loads(row["detail"])
            if detail.get("patient_id") == patient_id:
                out.append((float(row["at"]), detail))
    return out
