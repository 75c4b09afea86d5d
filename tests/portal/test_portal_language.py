"""The portal in the therapist's language (issue 16), on a real clinic server process and a real
PostgreSQL: the browser's Accept-Language picks the login page's language; the header's
picker keeps the therapist's choice on their account (it wins over Accept-Language, on the
next request and in a new browser); concurrent requests in different languages each get
their own words. Without a server: the negotiation, and dates and numbers in flags and
charts written the language's way."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

from game import i18n
from server import admin, db
from server.portal import charts, flags
from server.portal import language as lang

PASSWORD = "a long enough password"
# The patients page's heading and the header's log-out button, per language.
WORDS = {"en": ("Patients", "Log out"), "es": ("Pacientes", "Cerrar sesión"), "de": ("Patienten", "Abmelden"),
         "zh_Hans": ("患者", "退出登录")}
LOGIN = {"en": "Username", "es": "Usuario", "de": "Benutzername", "zh_Hans": "用户名"}


# ------------------------------------------------------------------ without a server
def test_accept_language_is_negotiated_with_babel():
    f = lang.from_accept_language
    assert f("es-ES,es;q=0.9,en;q=0.8") == "es"
    assert f("fr-FR, de-AT;q=0.5, en;q=0.3") == "de"  # the first language we have, by weight
    assert f("en;q=0.2, zh-CN") == "zh_Hans" and f("zh-Hans-SG") == "zh_Hans"
    assert f("zh-TW, es;q=0.1") == "es" and f("zh-Hant") is None  # Traditional script: no catalogue yet
    assert f("fr, it;q=0.9") is None and f("") is None and f("*") is None and f("de;q=0") is None
    assert lang.choose("de", "es", "zh-CN") == "de"  # the account's choice first
    assert lang.choose(None, "es", "zh-CN") == "es"  # then this browser's
    assert lang.choose(None, "xx", "zh-CN") == "zh_Hans" and lang.choose(None, None, None) == "en"


def test_flags_and_charts_write_dates_and_numbers_the_languages_way():
    today = date(2026, 11, 28)
    high = [flags.Rating(today - timedelta(days=1), "pain", 7, 1, 7)]
    rising = [flags.Rating(today - timedelta(days=d), "pain", 2, 1, 2) for d in range(8, 28)] + \
        [flags.Rating(today - timedelta(days=1), "pain", 3.5, 1, 3.5)]
    with i18n.language_for("de"):
        assert flags.pain_flag(high, today).why == "Mit 7 von 10 bewertet am 27.11.2026."
        assert "3,5 von 10" in flags.pain_flag(rising, today).why
        assert flags.adherence_flag(50, 200, 1400).why.startswith("50 Wiederholungen in den letzten 7 Tagen: 4\u00a0% der "
                                                                   "1.400 verordneten")
    with i18n.language_for("zh_Hans"):
        assert flags.pain_flag(high, today).title == "疼痛加重"
        days = [today - timedelta(days=i) for i in range(6, -1, -1)]
        svg = str(charts.render(charts.Chart("图", "次", [charts.Series("重复", [(days[2], 1234.0)], bars=True)]), days))
        texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
        assert "11月22日" in texts and "1,250" in texts  # a tick date, and a y tick
        assert "<title>2026年11月24日: 重复 1,234</title>" in svg
    assert i18n.current_language() == "en"  # the process-wide language never moved


# ------------------------------------------------------------------ on a real server
@pytest.fixture(scope="module")
def accounts(pg_url):
    engine = db.make_engine(pg_url, pool_size=1)
    with engine.begin() as conn:
        clinic = admin.create_clinic(conn, "Clínica Norte")
        for user in ("ines", "jonas", "kai", "li", "pat"):  # kai: only the first server test (its own choices)
            admin.create_therapist(conn, clinic, user, PASSWORD, display_name=user.title())
    yield
    engine.dispose()


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def _html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def _log_in(base: str, user: str, accept: str | None = None) -> httpx.Client:
    c = httpx.Client(base_url=base, headers={"Accept-Language": accept} if accept else {}, timeout=30)
    page = c.get("/portal/login")
    r = c.post("/portal/login", data={"username": user, "password": PASSWORD, "csrf": _hidden(page.text, "csrf")})
    assert r.status_code == 303, r.text
    return c


def _language_of(html: str) -> str:
    """Which language a patients page is in, from its heading and its log-out button (and it must
    be one language throughout)."""
    heading = re.search(r"<h1>([^<]+)</h1>", html).group(1)
    found = [code for code, (h, out) in WORDS.items() if heading == h and f">{out}</button>" in html]
    assert len(found) == 1, heading
    assert _html_lang(html) == lang.html_lang(found[0])
    return found[0]


def test_the_browsers_language_and_the_therapists_choice(clinic_server, accounts):
    base = clinic_server.url
    for accept, code in (("es-ES,es;q=0.9,en;q=0.5", "es"), ("de-CH", "de"), ("zh-CN,zh;q=0.9", "zh_Hans"),
                         ("zh-TW", "en"), (None, "en")):
        page = httpx.get(base + "/portal/login", headers={"Accept-Language": accept} if accept else {})
        assert _html_lang(page.text) == lang.html_lang(code) and f">{LOGIN[code]}</label>" in page.text, accept
    refused = httpx.get(base + "/portal/patients", headers={"Accept-Language": "es"})
    assert refused.status_code == 401 and "Inicie sesión." in refused.text

    c = _log_in(base, "kai", accept="es")
    assert _language_of(c.get("/portal/patients").text) == "es"
    page = c.get("/portal/devices")
    r = c.post("/portal/language", data={"language": "de", "csrf": _hidden(page.text, "csrf"),
                                         "next": "/portal/devices"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/devices"
    assert _html_lang(c.get("/portal/devices").text) == "de"
    assert _language_of(c.get("/portal/patients").text) == "de"  # kept, and over Accept-Language es
    assert '<option value="de" lang="de" selected>Deutsch</option>' in c.get("/portal/patients").text
    forged = c.post("/portal/language", data={"language": "zh_Hans", "csrf": "not this session's"})
    assert forged.status_code == 403 and _language_of(c.get("/portal/patients").text) == "de"
    c.post("/portal/language", data={"language": "klingon", "csrf": _hidden(page.text, "csrf")})
    assert _language_of(c.get("/portal/patients").text) == "de"  # an unknown language changes nothing
    c.close()

    # Another browser (nothing in its cookies) asking for Spanish: the account's German after login.
    other = _log_in(base, "kai", accept="es")
    assert _language_of(other.get("/portal/patients").text) == "de"
    assert other.cookies.get(lang.COOKIE) == "de"  # so its login page speaks German after logging out
    page = other.get("/portal/patients")
    other.post("/portal/logout", data={"csrf": _hidden(page.text, "csrf")})
    assert _html_lang(other.get("/portal/login").text) == "de"
    other.close()


def test_concurrent_requests_each_get_their_own_language(clinic_server, accounts):
    """Four therapists at once: one picked Chinese, one's browser asks for Spanish, one for German,
    one says nothing (English). Every page each gets is wholly in that therapist's language."""
    base = clinic_server.url
    clients = {"zh_Hans": _log_in(base, "li", accept="de"), "es": _log_in(base, "ines", accept="es-MX"),
               "de": _log_in(base, "pat", accept="de-DE"), "en": _log_in(base, "jonas")}
    page = clients["zh_Hans"].get("/portal/patients")
    clients["zh_Hans"].post("/portal/language", data={"language": "zh_Hans", "csrf": _hidden(page.text, "csrf")})
    c_en = clients["en"]
    page = c_en.get("/portal/patients")
    c_en.post("/portal/language", data={"language": "en", "csrf": _hidden(page.text, "csrf")})  # an explicit English choice
    start = threading.Barrier(len(clients))
    seen: dict[str, list[str]] = {code: [] for code in clients}
    errors: list[BaseException] = []

    def ask(code: str) -> None:
        try:
            start.wait(timeout=30)
            for i in range(12):
                html = clients[code].get("/portal/patients" if i % 3 else "/portal/devices").text
                seen[code].append(_html_lang(html) if i % 3 == 0 else _language_of(html))
        except BaseException as e:  # noqa: BLE001 - reported below, with the thread's language
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(code,)) for code in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for c in clients.values():
        c.close()
    assert not errors, errors
    for code, got in seen.items():
        assert len(got) == 12 and set(got) <= {code, lang.html_lang(code)}, (code, got)


def test_the_program_editor_explains_every_setting_in_the_therapists_language():
    """Each setting's label and description (from the level models' own fields, extracted by
    server/portal/level_words.py) is translated; English stays exactly as the models say."""
    from server.portal import program_form as pf

    def shown() -> list:
        return (pf.program_fields() + pf.exercise_fields("defaults.") + pf.entry_fields("exercises[1].")
                + pf.detector_fields("exercises[1]."))

    english = [(s.name, s.label, s.description) for s in shown()]  # a label is worded when it is read
    assert english[0] == ("name", "Name", "The program's name, as shown in the game.")
    for code in ("es", "de", "zh_Hans"):
        with i18n.language_for(code):
            here = [(s.name, s.label, s.description) for s in shown()]
            untranslated = [s[0] for s, e in zip(here, english, strict=True)
                            if s[2] == e[2] or (s[1] == e[1] and e[1] not in ("Hand", "Name", "Start"))]
            assert not untranslated, (code, untranslated)
            helps = [pf.translated(h) for _n, h in pf.ADAPT_FIELDS] + [pf.translated(pf.ADAPT_HELP),
                                                                     pf.translated(pf.FINGER_PAIRS_HELP)]
            assert not [h for h in helps if h.startswith(("Raise", "Between", "What the game", "finger_squeeze only"))]
    with i18n.language_for("de"):
        target_min = next(s for s in pf.exercise_fields("defaults.") if s.name == "target_min_pct")
        assert target_min.label == "Ziel min." and target_min.description.startswith("Der niedrigste Wert")
        assert "Prozent des stärksten Drückens" in target_min.description
