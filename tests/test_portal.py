"""The parent portal as deployed: `massar serve-portal` with two uvicorn worker processes on 127.0.0.1,
driven over HTTP. The attacks on the lookup (forged forwarded header, one bucket for a whole proxy,
concurrent guesses, lock-out of the real parent, forged certificate codes) each have a test here.

The hand-made store (tests/lookup_fixtures.py) has known secrets; each server gets its own data folder,
keys given through the environment, and its own limits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pypdf
import pytest
from lookup_fixtures import PUPILS, publish_store, published_store
from portal_support import demo_secrets, portal_server

KEYS = {
    "MASSAR_LOOKUP_KEY": "a1" * 32,
    "MASSAR_CERTIFICATE_KEY": "c3" * 32,
    "MASSAR_PORTAL_KEY": "e5" * 32,
}
BACKOFF_SECONDS = 2


def _home(factory: pytest.TempPathFactory, name: str) -> Path:
    home = factory.mktemp(name)
    publish_store(home, key=KEYS["MASSAR_LOOKUP_KEY"].encode())
    return home


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Per-code limit 5 with a short back-off; per-client limit out of the way."""
    home = _home(tmp_path_factory, "portal")
    limits = {
        "MASSAR_LOOKUP_CLIENT_FREE": "100000",
        "MASSAR_LOOKUP_CODE_FREE": "5",
        "MASSAR_LOOKUP_BACKOFF_SECONDS": str(BACKOFF_SECONDS),
    }
    with portal_server(home, home / "server.log", **KEYS, **limits) as base:
        yield base, home


@pytest.fixture(scope="module")
def direct_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """No trusted proxy: 5 attempts per client."""
    home = _home(tmp_path_factory, "direct")
    limits = {"MASSAR_LOOKUP_CLIENT_FREE": "5", "MASSAR_LOOKUP_CODE_FREE": "1000"}
    with portal_server(home, home / "server.log", **KEYS, **limits) as base:
        yield base, home


@pytest.fixture(scope="module")
def proxied_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Behind a reverse proxy on the same host (127.0.0.1 trusted): 5 attempts per forwarded client."""
    home = _home(tmp_path_factory, "proxied")
    limits = {"MASSAR_LOOKUP_CLIENT_FREE": "5", "MASSAR_LOOKUP_CODE_FREE": "1000"}
    with portal_server(
        home, home / "server.log", MASSAR_TRUSTED_PROXIES="127.0.0.1", **KEYS, **limits
    ) as base:
        yield base, home


def _post(base: str, code: str, secret: str, lang: str = "fr", **headers: str) -> httpx.Response:
    return httpx.post(
        f"{base}/{lang}/lookup", data={"code": code, "secret": secret}, headers=headers, timeout=30
    )


def _audit(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "serving" / "lookup_state.sqlite") as con:
        return con.execute("select code, client, outcome from audit order by rowid").fetchall()


def _error(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return found.group(1).strip() if found else ""


# --- Pages --------------------------------------------------------------------------------------------


def test_pages_are_plain_html_forms_in_both_directions(portal: tuple[str, Path]) -> None:
    base, _ = portal
    fr = httpx.get(f"{base}/fr/", timeout=30)
    ar = httpx.get(f"{base}/ar/", timeout=30)
    for page, lang, direction in ((fr, "fr", "ltr"), (ar, "ar", "rtl")):
        assert page.status_code == 200
        assert f'<html lang="{lang}" dir="{direction}">' in page.text
        assert f'<form method="post" action="/{lang}/lookup"' in page.text  # a plain POST: no JavaScript
        assert "<script" not in page.text.lower()
        assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert "Code Massar" in fr.text and "رمز" in ar.text
    assert httpx.get(f"{base}/xx/", timeout=30).status_code == 404
    assert _post(base, "M100000001", "x" * 100_000).status_code == 413  # three short fields, no more


def test_lookup_shows_the_pupil_in_french(portal: tuple[str, Path]) -> None:
    base, _ = portal
    response = _post(base, "M100000001", "Soleil-42")  # case and hyphen as the parent types them
    assert response.status_code == 200, response.text
    html = response.text
    assert "<h1>Salma Alaoui</h1>" in html and "Youssef" not in html
    assert "Ecole Ibn Battouta" in html and "01511A-1AC-01" in html and "2024-2025" in html
    # fixture: pupil 1, maths 9.5 + 1 + semester/10 -> 10.6 and 10.7; annual 11; rank 1 of 3
    assert "10,60/20" in html and "10,70/20" in html and "11,00/20" in html
    assert "1 sur 3" in html
    assert "01/10/2024" in html  # absence date, no time part
    assert "14/01/2025" in html and "03/06/2025" in html  # the exam calendar
    for weekday in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"):
        assert f'<th scope="col">{weekday}</th>' in html  # the timetable grid: days x sessions
    assert "None" not in html and "00:00" not in html
    assert "<script" not in html.lower()
    assert response.headers["cache-control"] == "no-store"


def test_lookup_shows_the_pupil_in_arabic(portal: tuple[str, Path]) -> None:
    base, _ = portal
    response = _post(base, "M100000002", "lune-17", lang="ar")
    html = response.text
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in html
    assert "يوسف بناني" in html and "إعدادية الأمل" in html and "الرياضيات" in html
    assert "11,60/20" in html  # 9.5 + 2 + 0.1, Morocco's Arabic locale keeps the decimal comma
    assert "الاثنين" in html and "السبت" in html
    assert "None" not in html


def test_unknown_code_and_wrong_secret_get_the_same_answer(portal: tuple[str, Path]) -> None:
    base, _ = portal
    wrong = _post(base, "M100000001", "not-the-secret")
    unknown = _post(base, "M999999999", "not-the-secret")
    assert wrong.status_code == unknown.status_code == 200
    assert _error(wrong.text) and _error(wrong.text) == _error(unknown.text)
    assert "Salma" not in wrong.text


# --- Throttling: per code ----------------------------------------------------------------------------


def test_forty_concurrent_guesses_check_at_most_five_secrets(portal: tuple[str, Path]) -> None:
    base, home = portal
    code = "M100000002"
    barrier = threading.Barrier(40)
    before = len(_audit(home))

    def guess(i: int) -> int:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return client.post(f"{base}/fr/lookup", data={"code": code, "secret": f"guess-{i}"}).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(guess, range(40)))
    rows = _audit(home)[before:]
    checked = [o for c, _, o in rows if c == code and o in ("denied", "ok")]
    refused = [o for c, _, o in rows if c == code and o == "locked"]
    assert statuses.count(200) == len(checked) <= 5, statuses
    assert len(checked) >= 1 and statuses.count(429) == len(refused) == 40 - len(checked)


def test_the_real_parent_is_not_locked_out(portal: tuple[str, Path]) -> None:
    base, _ = portal
    code, secret = "M100000003", PUPILS["M100000003"][0]
    for i in range(5):
        assert _post(base, code, f"attacker-{i}").status_code == 200  # five wrong secrets, checked
    held = _post(base, code, secret)
    assert held.status_code == 429  # in the back-off delay: even the right secret waits...
    wait = int(held.headers["retry-after"])
    assert 1 <= wait <= BACKOFF_SECONDS
    assert _post(base, code, "attacker-again").status_code == 429  # ...and hammering does not extend it
    time.sleep(wait + 0.2)
    answer = _post(base, code, secret)
    assert answer.status_code == 200 and "Imane Tazi" in answer.text  # then the right secret succeeds
    assert _post(base, code, "wrong-after").status_code == 200  # and the code's counter started afresh


def test_an_attacker_holding_the_code_does_not_hold_a_known_browser(portal: tuple[str, Path]) -> None:
    base, _ = portal
    code, secret = "M100000001", PUPILS["M100000001"][0]
    with (
        httpx.Client(base_url=base, timeout=30) as parent,
        httpx.Client(base_url=base, timeout=30) as attacker,
    ):
        assert parent.post("/fr/lookup", data={"code": code, "secret": secret}).status_code == 200
        assert "massar_known" in parent.cookies
        statuses = [
            attacker.post("/fr/lookup", data={"code": code, "secret": f"guess-{i}"}).status_code
            for i in range(7)
        ]
        assert statuses == [200] * 5 + [429] * 2  # the code's shared bucket is in its delay...
        again = parent.post("/fr/lookup", data={"code": code, "secret": secret})
        assert again.status_code == 200 and "Salma Alaoui" in again.text  # ...not the parent's browser
        forged = parent.cookies["massar_known"]
        attacker.cookies.set("massar_known", forged[:-2] + ("AA" if not forged.endswith("AA") else "BB"))
        held = attacker.post("/fr/lookup", data={"code": code, "secret": secret})
        assert held.status_code == 429  # a tampered cookie is no known browser
    time.sleep(int(held.headers["retry-after"]) + 0.2)
    assert _post(base, code, secret).status_code == 200  # the shared bucket starts afresh for later tests


# --- Throttling: per client, from the socket or a trusted proxy only ---------------------------------


def test_forged_forwarded_header_does_not_change_the_bucket(direct_portal: tuple[str, Path]) -> None:
    base, home = direct_portal
    statuses = [
        _post(base, f"M9000000{i:02d}", "guess", **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(12)
    ]
    assert statuses == [200] * 5 + [429] * 7
    clients = {client for _, client, _ in _audit(home)}
    assert clients == {"127.0.0.1"}  # the audit log keeps the real peer, never the forged header


def test_a_trusted_proxy_forwards_one_bucket_per_client(proxied_portal: tuple[str, Path]) -> None:
    base, home = proxied_portal
    first, second = "203.0.113.7", "203.0.113.8"
    statuses = [
        _post(base, f"M8000000{i:02d}", "guess", **{"X-Forwarded-For": first}).status_code for i in range(7)
    ]
    assert statuses == [200] * 5 + [429] * 2
    # a forged address in front of the proxy's own entry does not give a fresh bucket
    forged = _post(base, "M800000099", "guess", **{"X-Forwarded-For": f"192.0.2.1, {first}"})
    assert forged.status_code == 429
    # another parent behind the same proxy is not throttled: no country-wide bucket
    other = _post(base, "M100000001", PUPILS["M100000001"][0], **{"X-Forwarded-For": second})
    assert other.status_code == 200 and "Salma Alaoui" in other.text
    clients = [client for _, client, _ in _audit(home)]
    assert set(clients) == {first, second}


# --- Verification cost -------------------------------------------------------------------------------


def test_unknown_code_and_wrong_secret_do_the_same_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """By construction: both paths compute one HMAC of the typed secret and one constant-time
    comparison of equal-length strings (counted by wrapping the real functions)."""
    from dashboards.public import secrets as portal_secrets
    from massar.settings import hashing, lookup_secrets

    calls: list[tuple[str, int, int]] = []
    real_new, real_compare = hmac.new, hmac.compare_digest

    def counting_new(*args: object, **kwargs: object) -> hmac.HMAC:
        calls.append(("hmac", 0, 0))
        return real_new(*args, **kwargs)  # type: ignore[arg-type]

    def counting_compare(a: str, b: str) -> bool:
        calls.append(("compare", len(a), len(b)))
        return real_compare(a, b)

    monkeypatch.setattr(hashing.hmac, "new", counting_new)
    monkeypatch.setattr(portal_secrets.hmac, "compare_digest", counting_compare)
    key = b"k" * 32
    stored = lookup_secrets.secret_mac("M100000001", "right", key)
    traces = []
    for code, value in (("M100000001", stored), ("M999999999", None), ("M100000001", "pbkdf2_sha256$1$a$b")):
        calls.clear()
        assert portal_secrets.verify(code, "wrong", value, key) is False
        traces.append(list(calls))
    assert traces[0] == traces[1] == traces[2] == [("hmac", 0, 0), ("compare", len(stored), len(stored))]
    assert portal_secrets.verify("M100000001", "RIGHT", stored, key) is True


# --- Certificates ------------------------------------------------------------------------------------


def _certificate(base: str, code: str, secret: str, lang: str) -> tuple[httpx.Client, str, bytes]:
    client = httpx.Client(base_url=base, timeout=60)
    answer = client.post(f"/{lang}/lookup", data={"code": code, "secret": secret})
    link = re.search(r'href="(/\w\w/certificate\?t=[^"]+)"', answer.text)
    assert link, answer.text
    pdf = client.get(link.group(1).replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    return client, link.group(1), pdf.content


def _expected_code(pupil: dict[str, str], issued: date) -> str:
    """The verification code recomputed from its definition (HMAC-SHA-256 of the fields and the issue
    date under the certificate key, 100 bits base32 in groups of four)."""
    names = "student_code first_name_fr last_name_fr first_name_ar last_name_ar school_code level_code"
    fields = [pupil[f] for f in (*names.split(), "class_code", "school_year")]
    digest = hmac.new(
        KEYS["MASSAR_CERTIFICATE_KEY"].encode(),
        "\x1f".join([*fields, issued.isoformat()]).encode(),
        hashlib.sha256,
    ).digest()
    symbols = base64.b32encode(digest).decode()[:20]
    return "-".join(symbols[i : i + 4] for i in range(0, 20, 4))


def test_certificate_is_served_to_the_browser_that_looked_up_only(portal: tuple[str, Path]) -> None:
    base, _ = portal
    client, link, pdf = _certificate(base, "M100000001", PUPILS["M100000001"][0], "fr")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Salma Alaoui" in text and "M100000001" in text and "Ecole Ibn Battouta" in text
    assert date.today().strftime("%d/%m/%Y") in text  # issue date and signature block
    assert "directeur" in text
    assert httpx.get(f"{base}{link}", timeout=30).status_code == 403  # another browser (no cookie)
    body, mac = link.split("t=")[1].split(".")
    assert client.get(f"{link.split('t=')[0]}t={body}.{mac[::-1]}").status_code == 403  # tampered
    assert client.get(link.replace("/fr/", "/ar/")).status_code == 403  # bound to its language
    client.close()


def test_arabic_certificate_is_arabic_first(portal: tuple[str, Path]) -> None:
    base, _ = portal
    client, _, pdf = _certificate(base, "M100000002", PUPILS["M100000002"][0], "ar")
    client.close()
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert text.index("المملكة") < text.index("Royaume")
    assert text.index("إعدادية الأمل") < text.index("Collège Al Amal")


def test_certificate_codes_verify_and_cannot_be_forged(portal: tuple[str, Path]) -> None:
    base, home = portal
    client, _, pdf = _certificate(base, "M100000003", PUPILS["M100000003"][0], "fr")
    client.close()
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    printed = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})", text)
    assert printed, text
    with duckdb.connect(str(published_store(home, "parent_lookup.duckdb")), read_only=True) as con:
        row = con.execute("select * from lookup.pupil where student_code = 'M100000003'").fetchall()[0]
        names = [d[0] for d in con.description]
    pupil = {k: str(v) for k, v in zip(names, row, strict=True)}
    today = date.today()
    assert printed.group(1) == _expected_code(pupil, today)  # 100 bits under the server's key

    def verify(code: str, issued: str, verification: str) -> str:
        page = httpx.post(
            f"{base}/fr/verify",
            data={"code": code, "issued": issued, "verification": verification},
            timeout=30,
        )
        assert page.status_code == 200
        return page.text

    valid = verify("M100000003", today.isoformat(), printed.group(1).lower().replace("-", " "))
    assert "Attestation valide" in valid and "Imane Tazi" in valid and "Collège Al Amal" in valid
    forged_symbol = printed.group(1)[:-1] + ("A" if printed.group(1)[-1] != "A" else "B")
    old_style = hashlib.sha256(b"massar-certificateM1000000032024-202504101B").hexdigest()[:12].upper()
    for code, issued, verification in (
        ("M100000003", today.isoformat(), forged_symbol),  # one symbol changed
        ("M100000003", today.isoformat(), old_style),  # the former keyless code
        ("M100000003", "2020-01-01", printed.group(1)),  # another issue date
        ("M100000001", today.isoformat(), printed.group(1)),  # another pupil
        ("M999999999", today.isoformat(), printed.group(1)),  # unknown pupil
    ):
        page = verify(code, issued, verification)
        assert "Document non valide" in page and "Imane" not in page and "Salma" not in page


# --- On the store the real pipeline published --------------------------------------------------------


def test_real_store_lookup(published_home: Path, tmp_path: Path) -> None:
    secrets = demo_secrets(published_home)
    with duckdb.connect(str(published_store(published_home, "parent_lookup.duckdb")), read_only=True) as con:
        rows = con.execute(
            "select student_code, first_name_fr, last_name_fr, school_name_fr, len(absences), "
            "len(subject_results) from lookup.card order by student_code"
        ).fetchall()
        stored = con.execute("select count(*) from lookup.pupil where secret_hash like 'pbkdf2%'").fetchall()
    assert stored == [(0,)]  # the source's slow hashes are replaced by keyed MACs
    code, first, last, school, absences, results = next(r for r in rows if r[0] in secrets and r[4] > 0)
    assert len(secrets[code]) >= 12  # 12 symbols of 32: 60 bits
    with portal_server(published_home, tmp_path / "server.log") as base:
        answer = _post(base, code, secrets[code])
        wrong = _post(base, code, secrets[code][:-1] + ("A" if secrets[code][-1] != "A" else "B"))
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert f"<h1>{first} {last}</h1>" in html and school in html
    assert html.count('<td dir="ltr">') >= absences  # each absence date in its own cell
    assert len(re.findall(r"\d\d/\d\d/\d{4}", html)) >= absences
    assert "None" not in html and results > 0
    assert wrong.status_code == 200 and first not in wrong.text
