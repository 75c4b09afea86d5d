"""The portal's pages: login, patients, program editor, progress, devices.

Server-rendered (Jinja2) with plain HTML forms; a page works with no script at all. Every
page but the login page needs a live therapist session (server/auth.py); without one the
answer is 401 with the login form. Every form that changes something carries a CSRF token
tied to the session (the cookie is SameSite=Strict as well).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup
from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool

from game import i18n
from game.i18n import N_, _, ngettext
from server import admin, auth, throttle, zones
from server.portal import charts, data, program_form
from server.portal import language as lang
from server.portal.program_form import FormData
from server.schema import therapist_sessions, therapists

HERE = Path(__file__).resolve().parent
PREFIX = "/portal"
CSRF_FIELD = "csrf"
LOGIN_CSRF_COOKIE = "sq_login_csrf"
WINDOWS = (28, 90, 365)  # days a progress page can show

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.globals.update(_=_, ngettext=ngettext, PREFIX=PREFIX, languages=lang.languages, html_lang=lang.html_lang,
                   current_language=i18n.current_language)
env.filters.update(day=pass_context(lambda ctx, d: lang.day(d, ctx.get("zone"))),
                   when=pass_context(lambda ctx, dt: lang.when(dt, ctx.get("zone"))),
                   day_month=lang.day_month, number=lang.number)  # times and days in the clinic's zone
# auth.LOGIN_REFUSED, marked here for the catalogue (the same words; shown translated below)
_LOGIN_REFUSED = N_("The username or password is not right. Check them and try again.")


class LoginNeeded(Exception):
    """A page asked for without a live session."""


class StaleForm(Exception):
    """A form posted without this session's token (an old page, or another site's)."""


class PortalRoute(APIRoute):
    """Every portal route answers a missing session with the login page (401), not JSON, and
    a patient outside the therapist's clinic with the "Not found" page (404)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            account = await run_in_threadpool(_account_language, request) if _session_token(request) else None
            code = lang.choose(account, request.cookies.get(lang.COOKIE), request.headers.get("accept-language"))
            # This request's language only (a context variable: the handler's thread sees it too).
            with i18n.language_for(code):
                try:
                    return await handler(request)
                except LoginNeeded:
                    return _login_page(request, status=401,
                                       message=_("Please log in. Your session has ended or you are not logged in."))
                except StaleForm:
                    return _render(request, "message.html", status=403, title=_("Nothing was changed"),
                                   message=_("This form was out of date. Go back, reload the page and try again."))
                except _NotFound as e:  # a patient (or page) not in this therapist's clinic
                    return _not_found(request, str(e))

        return route


router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)


# ------------------------------------------------------------------ helpers
def _engine(request: Request) -> Any:
    return request.app.state.engine


def _session_token(request: Request) -> str | None:
    return request.cookies.get(auth.COOKIE_NAME)


def _therapist(request: Request) -> auth.Therapist:
    with _engine(request).begin() as conn:
        t = auth.session_therapist(conn, _session_token(request))
        request.state.zone = data.clinic_zone(conn, t.clinic_id) if t is not None else zones.FALLBACK
    if t is None:
        raise LoginNeeded()
    auth.set_actor(request, f"therapist:{t.id}")
    request.state.therapist = t
    return t


def _now(request: Request) -> datetime:
    """This moment (the app's clock: tests set one, see server.app.create_app)."""
    clock = getattr(request.app.state, "now", None)
    return clock() if clock is not None else datetime.now(timezone.utc)


def _today(request: Request) -> date:
    """Today in the therapist's clinic (its zone)."""
    return zones.today_in(getattr(request.state, "zone", zones.FALLBACK), _now(request))


def _account_language(request: Request) -> str | None:
    """The language the session's therapist picked (None: none picked, or no live session)."""
    with _engine(request).connect() as conn:
        return conn.execute(select(therapists.c.language).join(
            therapist_sessions, therapist_sessions.c.therapist_id == therapists.c.id).where(
            therapist_sessions.c.token_hash == auth.token_hash(_session_token(request) or ""))).scalar()


def _set_language_cookie(request: Request, resp: Response, code: str) -> None:
    resp.set_cookie(lang.COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="strict", path=PREFIX,
                    secure=bool(getattr(request.app.state, "secure_cookies", False)))


def _csrf_for(token: str | None) -> str:
    # Derived from the session's secret, so a page from another session cannot be replayed.
    return hashlib.sha256(f"portal-csrf:{token or ''}".encode()).hexdigest()


async def _form(request: Request) -> Any:
    form = await request.form()
    sent = str(form.get(CSRF_FIELD, ""))
    if not hmac.compare_digest(sent, _csrf_for(_session_token(request))):
        throttle.security.warning("form refused from %s: %s without this session's token (%s)",
                                  auth.client_address(request), request.url.path,
                                  getattr(request.state, "actor", "anonymous"))
        raise StaleForm()
    return form


def _render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    t = getattr(request.state, "therapist", None)
    html = env.get_template(template).render(request=request, therapist=t, csrf=_csrf_for(_session_token(request)),
                                             zone=getattr(request.state, "zone", zones.FALLBACK), **ctx)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _uid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _patient_or_404(conn: Any, t: auth.Therapist, uid: str) -> Any:
    u = _uid(uid)
    row = data.patient(conn, t.clinic_id, u) if u else None
    if row is None:
        raise _NotFound(_("There is no such patient in your clinic."))
    return row


class _NotFound(Exception):
    pass


def _not_found(request: Request, message: str) -> HTMLResponse:
    return _render(request, "message.html", status=404, title=_("Not found"), message=message)


# ------------------------------------------------------------------ login
def _login_page(request: Request, status: int = 200, message: str = "", username: str = "") -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = env.get_template("login.html").render(request=request, therapist=None, message=message,
                                                 username=username, login_csrf=nonce,
                                                 next=request.query_params.get("next", "") or (
                                                     request.url.path if request.method == "GET" else ""))
    resp = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    resp.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", path=PREFIX,
                    secure=bool(getattr(request.app.state, "secure_cookies", False)))
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not nonce or not hmac.compare_digest(str(form.get(CSRF_FIELD, "")), nonce):
        return _login_page(request, status=400, message=_("The login form was out of date. Please try again."))
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    try:  # limited guessing; a new session id, and this browser's old session ends (server/auth.py)
        therapist, token = await run_in_threadpool(auth.attempt_login, _engine(request), username, password,
                                                   auth.client_address(request), _session_token(request))
    except auth.LoginRefused:
        return _login_page(request, status=401, message=_(auth.LOGIN_REFUSED), username=username)
    except throttle.TooManyTries as e:
        return _login_page(request, status=429, username=username, message=ngettext(
            "Too many tries. Wait {n} minute, or ask the clinic's administrator.",
            "Too many tries. Wait {n} minutes, or ask the clinic's administrator.", e.minutes).format(n=e.minutes))
    auth.set_actor(request, f"therapist:{therapist.id}")
    nxt = str(form.get("next", ""))
    resp = _see(nxt if nxt.startswith(PREFIX + "/") else f"{PREFIX}/patients")
    auth.set_session_cookie(resp, token, secure=bool(getattr(request.app.state, "secure_cookies", False)))
    with _engine(request).connect() as conn:
        picked = conn.execute(select(therapists.c.language).where(therapists.c.id == therapist.id)).scalar()
    if lang.valid(picked):  # this browser speaks the account's language, on the login page too
        _set_language_cookie(request, resp, picked)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    _therapist(request)
    await _form(request)
    with _engine(request).begin() as conn:
        auth.logout(conn, _session_token(request))
    resp = _see(f"{PREFIX}/login")
    auth.clear_session_cookie(resp)
    return resp


@router.post("/language")
async def choose_language(request: Request) -> Response:
    """The header's picker: the therapist's language, kept on their account (and in this
    browser's cookie, for the login page)."""
    t = _therapist(request)
    form = await _form(request)
    code = lang.valid(str(form.get("language", "")))
    nxt = str(form.get("next", ""))
    resp = _see(nxt if nxt.startswith(PREFIX + "/") else f"{PREFIX}/patients")
    if code is None:
        return resp
    with _engine(request).begin() as conn:
        conn.execute(update(therapists).where(therapists.c.id == t.id).values(language=code))
    _set_language_cookie(request, resp, code)
    return resp


@router.get("/")
@router.get("")
def home(request: Request) -> Response:
    _therapist(request)
    return _see(f"{PREFIX}/patients")


# ------------------------------------------------------------------ patients
@router.get("/patients", response_class=HTMLResponse)
def patients_page(request: Request, archived: int = 0) -> Response:
    t = _therapist(request)
    with _engine(request).begin() as conn:
        rows = data.patients_overview(conn, t.clinic_id, archived=bool(archived), today=_today(request),
                                      tz=request.state.zone)
    return _render(request, "patients.html", rows=rows, archived=bool(archived), flag_help=_flag_help())


def _flag_help() -> list[tuple[str, str]]:
    return [(_(title), _(text)) for title, text in _FLAG_HELP]


_FLAG_HELP = (  # marked here, translated per request by _flag_help()
    (N_("Falling adherence"), N_("Fewer than half the prescribed repetitions in the last 7 days, and fewer than the "
                               "week before. The prescription is the program's repetitions every day.")),
    (N_("Rising pain"), N_("Pain in the last 7 days is 1 point or more above the 3 weeks before (0 to 10), or any "
                         "rating of 7 or more.")),
    (N_("Rising tiredness"), N_("Tiredness in the last 7 days is 1 point or more above the 3 weeks before, or any "
                              "rating of 8 or more.")),
    (N_("Drop in strength"), N_("The strongest squeeze (median of the last 3 calibrations) is at least 15% below the 3 "
                              "before; 5 kg or more for a ball calibrated in kg.")),
)


@router.post("/patients")
async def create_patient(request: Request) -> Response:
    t = _therapist(request)
    form = await _form(request)
    name = str(form.get("display_name", "")).strip()
    hand = str(form.get("hand", "right"))
    if not name:
        with _engine(request).begin() as conn:
            rows = data.patients_overview(conn, t.clinic_id, today=_today(request), tz=request.state.zone)
        return _render(request, "patients.html", status=422, rows=rows, archived=False, flag_help=_flag_help(),
                       new_error=_("Write the patient's name (or a short name you will recognise)."))
    with _engine(request).begin() as conn:
        try:
            uid = admin.create_patient(conn, t.clinic_id, name[:80], str(form.get("initials", "")).strip()[:4] or None,
                                       hand=hand)
        except admin.AdminError as e:
            return _render(request, "message.html", status=422, title=_("Not added"), message=str(e))
    return _see(f"{PREFIX}/patients/{uid}/program")


@router.post("/patients/{uid}/archive")
async def archive_patient(request: Request, uid: str) -> Response:
    return await _set_archived(request, uid, True)


@router.post("/patients/{uid}/restore")
async def restore_patient(request: Request, uid: str) -> Response:
    return await _set_archived(request, uid, False)


async def _set_archived(request: Request, uid: str, archived: bool) -> Response:
    t = _therapist(request)
    await _form(request)
    u = _uid(uid)
    with _engine(request).begin() as conn:
        try:
            if u is None:
                raise admin.AdminError(_("There is no such patient in your clinic."))
            admin.update_patient(conn, t.clinic_id, u, archived=archived)
        except admin.AdminError as e:
            return _not_found(request, str(e))
    return _see(f"{PREFIX}/patients")  # where the patient is now listed (or no longer)


# ------------------------------------------------------------------ program editor
def _program_versions(conn: Any, t: auth.Therapist, patient: Any) -> list:
    """The saved versions of the patient's program (none if the patient has no program yet)."""
    return data.program_versions(conn, t.clinic_id, patient.program_uid) if patient.program_uid else []


def _version_or_newest(versions: list, version: int | None) -> Any:
    """The asked-for version, or with none asked the first listed; None if it is not there."""
    return next((v for v in versions if version is None or v.version == version), None)


def _editor(request: Request, conn: Any, t: auth.Therapist, patient: Any, form: FormData, *,
            checked: program_form.Checked | None = None, status: int = 200, notice: str = "",
            import_text: str = "", import_problems: list | None = None, version: Any = None) -> HTMLResponse:
    versions = _program_versions(conn, t, patient)
    n = program_form.entry_count(form)
    entries = [i for i in range(1, n + 1) if f"exercises[{i}].exercise" in form]
    paths = [s.path for s in program_form.program_fields()]
    for prefix in ["defaults."] + [f"exercises[{i}]." for i in entries]:
        paths += [s.path for s in program_form.exercise_fields(prefix)]
        paths += [s.path for s in program_form.detector_fields(prefix)]
        paths += [s.path for s in program_form.entry_fields(prefix)]
        paths += [f"{prefix}adapt", f"{prefix}finger_pairs", f"{prefix}exercise", prefix.rstrip(".")]
    return _render(request, "program.html", status=status, patient=patient, form=form, pf=program_form,
                   entries=entries, checked=checked, unplaced=checked.unplaced(paths) if checked else [],
                   versions=versions, notice=notice, import_text=import_text,
                   import_problems=import_problems or [], shown_version=version,
                   defaults_open=any(k.startswith("defaults.") and v.strip() for k, v in form.values.items()))


def _patient_name(p: Any) -> str:
    return p.display_name or p.initials or str(p.uid)[:8]


@router.get("/patients/{uid}/program", response_class=HTMLResponse)
def program_page(request: Request, uid: str, version: int | None = None) -> Response:
    t = _therapist(request)
    with _engine(request).begin() as conn:
        p = _patient_or_404(conn, t, uid)
        versions = _program_versions(conn, t, p)
        chosen = _version_or_newest(versions, version)
        if version is not None and chosen is None:
            return _not_found(request, _("This program has no version {n}.").format(n=version))
        if chosen is None:
            form = program_form.new_program_form(_("Program for {name}").format(name=_patient_name(p))[:60])
        else:
            checked = program_form.check_text(chosen.yaml)
            form = program_form.form_from_level(checked.level) if checked.level else FormData({"name": chosen.name})
        return _editor(request, conn, t, p, form, version=chosen)


def _submitted(form: Any) -> FormData:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in (CSRF_FIELD, "action")}
    pairs = {k: [str(x) for x in form.getlist(k)] for k in form if k.endswith(".finger_pairs")}
    return FormData(values, pairs)


def _renumber(form: FormData, drop: int | None = None, add: str | None = None) -> FormData:
    """The form with one exercise removed or one added at the end, numbered 1, 2, 3..."""
    n = program_form.entry_count(form)
    keep = [i for i in range(1, n + 1) if f"exercises[{i}].exercise" in form and i != drop]
    values = {k: v for k, v in form.values.items() if not k.startswith("exercises[")}
    pairs = {k: v for k, v in form.pairs.items() if not k.startswith("exercises[")}
    for new, old in enumerate(keep, start=1):
        for k, v in form.values.items():
            if k.startswith(f"exercises[{old}]."):
                values[f"exercises[{new}]." + k.split(".", 1)[1]] = v
        for k, v in form.pairs.items():
            if k.startswith(f"exercises[{old}]."):
                pairs[f"exercises[{new}]." + k.split(".", 1)[1]] = v
    if add:
        i = len(keep) + 1
        values[f"exercises[{i}].exercise"] = add
    return FormData(values, pairs)


@router.post("/patients/{uid}/program", response_class=HTMLResponse)
async def program_submit(request: Request, uid: str) -> Response:
    t = _therapist(request)
    raw = await _form(request)
    action = str(raw.get("action", "check"))
    form = _submitted(raw)
    with _engine(request).begin() as conn:
        p = _patient_or_404(conn, t, uid)
        if action == "add":
            choice = str(raw.get("new_exercise", "power_grip"))
            return _editor(request, conn, t, p, _renumber(form, add=choice),
                           notice=_("Added {name} at the end. Fill in its settings, then save.").format(
                               name=program_form.exercise_name(choice)))
        if action.startswith("remove:"):
            try:
                drop = int(action.split(":", 1)[1])
            except ValueError:
                drop = None
            return _editor(request, conn, t, p, _renumber(form, drop=drop), notice=_("Exercise removed. Save to keep "
                                                                                     "the change."))
        if action == "import":
            upload = raw.get("yaml_file")
            text = ""
            if upload is not None and hasattr(upload, "read"):
                text = (await upload.read())[: 256 * 1024].decode("utf-8", errors="replace")
            text = text or str(raw.get("yaml_text", ""))
            checked = program_form.check_text(text)
            if not checked.ok:
                return _editor(request, conn, t, p, form, status=422, import_text=text,
                               import_problems=checked.problems)
            return _editor(request, conn, t, p, program_form.form_from_level(checked.level),
                           notice=_("The file was read and is shown below. Save to keep it."))
        checked = program_form.check_form(form)
        if not checked.ok:
            return _editor(request, conn, t, p, form, checked=checked, status=422)
        if action != "save":
            return _editor(request, conn, t, p, form, checked=checked,
                           notice=_("No problems found. Save to send it to the patient's computers."))
        assert checked.level is not None
        _uid_saved, version = admin.save_program(conn, t.clinic_id, checked.level.name, checked.yaml_text,
                                               saved_by=t.id, program_uid=p.program_uid, patient_uid=p.uid)
    return _see(f"{PREFIX}/patients/{p.uid}/program?saved={version}")


@router.get("/patients/{uid}/program.yaml")
def program_yaml(request: Request, uid: str, version: int | None = None) -> Response:
    t = _therapist(request)
    with _engine(request).begin() as conn:
        p = _patient_or_404(conn, t, uid)
        versions = _program_versions(conn, t, p)
    chosen = _version_or_newest(versions, version)
    if chosen is None:
        return _not_found(request, _("This patient has no saved program yet."))
    name = "".join(c if c.isascii() and c.isalnum() else "_" for c in chosen.name.lower()).strip("_") or "program"
    return PlainTextResponse(chosen.yaml, media_type="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{name}_v{chosen.version}.yaml"', "Cache-Control": "no-store"})


# ------------------------------------------------------------------ progress
@router.get("/patients/{uid}", response_class=HTMLResponse)
def progress_page(request: Request, uid: str, days: int = 28) -> Response:
    t = _therapist(request)
    days = days if days in WINDOWS else 28
    tz = request.state.zone  # the clinic's days
    first = _today(request) - timedelta(days=days - 1)
    since = zones.midnight(first, tz)
    with _engine(request).begin() as conn:
        p = _patient_or_404(conn, t, uid)
        day_rows = data.rep_days_for(conn, p.uid, first)
        rated = data.ratings(conn, [p.uid], since, tz).get(p.uid, [])
        strong = data.strength(conn, [p.uid], since=since, tz=tz).get(p.uid, [])
        sessions = data.sessions_for(conn, p.uid, since)
    window = [first + timedelta(days=i) for i in range(days)]
    sections = _progress_charts(day_rows, rated, strong, window)
    return _render(request, "progress.html", patient=p, sections=sections, sessions=sessions, days=days,
                   windows=WINDOWS, total_reps=sum(r.reps for r in day_rows),
                   exercise_name=program_form.exercise_name)


def _mean_by_day(pairs: list[tuple[date, float]]) -> list[tuple[date, float]]:
    by: dict[date, list[float]] = {}
    for d, v in pairs:
        by.setdefault(d, []).append(v)
    return [(d, sum(vs) / len(vs)) for d, vs in sorted(by.items())]


def _progress_charts(day_rows: list[data.DayRow], rated: list, strong: list, window: list[date]) -> list[dict]:
    out: list[dict] = []
    by_ex: dict[str, list[data.DayRow]] = {}
    for r in day_rows:
        by_ex.setdefault(r.exercise, []).append(r)
    totals = _mean_by_day([(r.day, 0.0) for r in day_rows])  # the days played
    per_day: dict[date, int] = {}
    for r in day_rows:
        per_day[r.day] = per_day.get(r.day, 0) + r.reps
    overview = [charts.render(charts.Chart(_("Repetitions per day, all exercises"), _("repetitions"),
                                           [charts.Series(_("repetitions"), sorted(per_day.items()), charts.BLUE,
                                                          bars=True)], chart_id="c-all"), window)]
    pain = [(r.day, r.mean) for r in rated if r.what == "pain"]
    tired = [(r.day, r.mean) for r in rated if r.what == "tiredness"]
    overview.append(charts.render(charts.Chart(
        _("Pain and tiredness (0 to 10, mean of the day's ratings)"), _("rating, 0 to 10"),
        [charts.Series(_("pain"), pain, charts.ORANGE, "diamond"),
         charts.Series(_("tiredness"), tired, charts.PURPLE, "square", dashed=True)], y_min=0, y_max=10,
        chart_id="c-pain"), window))
    if strong:
        kg = all(s.units == "kg" for s in strong)
        unit = "kg" if kg else _("device units (not a dynamometer reading)")
        overview.append(charts.render(charts.Chart(
            _("Strongest squeeze at each calibration"), unit,
            [charts.Series(_("strongest squeeze"), _mean_by_day([(s.day, s.mvc) for s in strong]), charts.GREEN,
                           "triangle", unit=" kg" if kg else "")], y_min=0, chart_id="c-mvc"), window))
    out.append({"title": _("All exercises"), "id": "all", "charts": overview, "days_played": len(totals)})
    for ex, rows in sorted(by_ex.items()):
        rolling = program_form.uses_roll(ex)
        cid = f"c-{ex}"
        cs = [charts.render(charts.Chart(
            _("Repetitions and successes per day"), _("repetitions"),
            [charts.Series(_("repetitions"), [(r.day, r.reps) for r in rows], charts.BLUE, bars=True),
             charts.Series(_("successful"), [(r.day, r.successes) for r in rows], charts.GREEN, bars=True)],
            chart_id=f"{cid}-reps"), window),
            charts.render(charts.Chart(
                _("Success rate per day"), "%",
                [charts.Series(_("success"), [(r.day, 100 * r.successes / r.reps) for r in rows if r.reps],
                               charts.GREEN, "circle", unit="%")], y_min=0, y_max=100, chart_id=f"{cid}-ok"), window)]
        if rolling:
            cs.append(charts.render(charts.Chart(
                _("Roll reached (mean per day, share of the calibrated range)"), _("share of range"),
                [charts.Series(_("roll reached"), [(r.day, r.roll) for r in rows if r.roll is not None], charts.BLUE,
                               "circle")], chart_id=f"{cid}-roll"), window))
        else:
            cs.append(charts.render(charts.Chart(
                _("Target and peak (percent of the strongest squeeze, device-derived)"), "% MVC",
                [charts.Series(_("target"), [(r.day, r.target) for r in rows if r.target is not None], charts.ORANGE,
                               "square", dashed=True, unit="%"),
                 charts.Series(_("peak reached"), [(r.day, r.peak_pct) for r in rows if r.peak_pct is not None],
                               charts.BLUE, "circle", unit="%")], chart_id=f"{cid}-pct"), window))
            cs.append(charts.render(charts.Chart(
                _("Hold time (mean per day)"), _("seconds"),
                [charts.Series(_("hold"), [(r.day, r.hold) for r in rows if r.hold is not None], charts.PURPLE,
                               "diamond", unit=" s")], chart_id=f"{cid}-hold"), window))
        out.append({"title": program_form.exercise_name(ex), "id": ex, "charts": cs,
                    "days_played": len(rows), "reps": sum(r.reps for r in rows)})
    return out


# ------------------------------------------------------------------ downloads (report, CSV, FHIR)
@router.get("/patients/{uid}/download/{what}")
def download(request: Request, uid: str, what: str) -> Response:
    t = _therapist(request)
    if what not in ("report.pdf", "records.csv", "records.fhir.json", "records.json"):
        return _not_found(request, _("There is no such download."))
    with _engine(request).begin() as conn:
        p = _patient_or_404(conn, t, uid)
        rows = data.patient_records(conn, p.uid)
    from server.portal import exports

    try:
        body, media = exports.make(p, rows, what)
    except exports.ExportUnavailable as e:
        return _render(request, "message.html", status=503, title=_("Not available"), message=str(e))
    stem = "".join(c if c.isascii() and c.isalnum() else "_" for c in _patient_name(p)).strip("_") or "patient"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{stem}_{_today(request).isoformat()}_{what}"',
        "Cache-Control": "no-store"})


# ------------------------------------------------------------------ devices
@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request) -> Response:
    t = _therapist(request)
    with _engine(request).begin() as conn:
        rows = admin.list_devices(conn, t.clinic_id)
    return _render(request, "devices.html", devices=rows, code=None, qr=None)


def qr_svg(text: str) -> Markup:
    """The code as a QR code, in SVG (segno: a maintained, dependency-free QR encoder)."""
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=8, border=4, xmldecl=False, svgns=True,
                                     title=None, desc=None, svgclass="qr", lineclass=None, omitsize=True)
    svg = buf.getvalue().decode("utf-8")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="' + _("QR code of the enrolment code") + '" ', 1))


@router.post("/devices/code", response_class=HTMLResponse)
async def new_code(request: Request) -> Response:
    t = _therapist(request)
    await _form(request)
    with _engine(request).begin() as conn:
        code = admin.make_enrolment_code(conn, t.clinic_id, created_by=t.id)
        rows = admin.list_devices(conn, t.clinic_id)
    expires = datetime.now(timezone.utc) + admin.ENROLMENT_TTL
    base = str(request.base_url).rstrip("/")
    payload = f"squeeze-quest-enrol:{code}?server={quote(base, safe=':/')}"
    return _render(request, "devices.html", devices=rows, code=code, qr=qr_svg(payload), server_url=base,
                   expires=expires)


@router.post("/devices/{device_id}/revoke")
async def revoke(request: Request, device_id: str) -> Response:
    t = _therapist(request)
    await _form(request)
    d = _uid(device_id)
    with _engine(request).begin() as conn:
        try:
            if d is None:
                raise admin.AdminError(_("There is no such device."))
            admin.revoke_device(conn, d, t.clinic_id)
        except admin.AdminError as e:
            return _not_found(request, str(e))
    return _see(f"{PREFIX}/devices")
