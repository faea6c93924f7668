"""The local accounts' session cookies (``dashboards.sessions``) on a real SQLite store and the real server
key: what a cookie must carry to be accepted, and what ends it. Expected values come from the rules
(HMAC-SHA256 of the documented message, the configured lifetimes), computed here independently."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from dashboards import sessions
from massar.settings.keys import server_key


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    monkeypatch.delenv("MASSAR_SESSION_KEY", raising=False)
    monkeypatch.delenv(sessions.IDLE_ENV, raising=False)
    monkeypatch.delenv(sessions.MAX_AGE_ENV, raising=False)
    return tmp_path / "auth" / "sessions.sqlite"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(name: str, issued: int, nonce: str) -> str:
    """The cookie as the module's docstring defines it, built here without the module's code."""
    name_b64 = _b64(name.encode())
    message = f"v1|{name_b64}|{issued}|{nonce}".encode()
    signature = _b64(hmac.new(server_key("session"), message, hashlib.sha256).digest())
    return f"v1.{name_b64}.{issued}.{nonce}.{signature}"


def test_a_ticket_gives_its_cookie_once(store: Path) -> None:
    ticket = sessions.begin("ministere", store=store, now=1000.0)
    cookie = sessions.redeem(ticket, store=store, now=1010.0)
    assert cookie is not None
    parts = cookie.split(".")
    assert parts[1] == _b64(b"ministere") and parts[2] == "1000" and len(parts[3]) == 64
    assert cookie == _sign("ministere", 1000, parts[3]), "signed as documented"
    assert sessions.redeem(ticket, store=store, now=1011.0) is None, "single use"
    session, reason = sessions.check(cookie, store=store, now=1020.0)
    assert reason == "ok" and session is not None and session.username == "ministere"


def test_an_expired_or_unknown_ticket_gives_nothing(store: Path) -> None:
    ticket = sessions.begin("ministere", store=store, now=1000.0)
    assert sessions.redeem(ticket, store=store, now=1000.0 + 61) is None
    assert sessions.redeem("made-up", store=store, now=1000.0) is None


def test_a_forged_or_altered_cookie_is_refused(store: Path) -> None:
    ticket = sessions.begin("ecole", store=store, now=1000.0)
    cookie = sessions.redeem(ticket, store=store, now=1000.0)
    assert cookie is not None
    _, name, issued, nonce, signature = cookie.split(".")
    # another user's name, a later issue time, under the old signature
    other = _b64(b"ministere")
    assert sessions.check(f"v1.{other}.{issued}.{nonce}.{signature}", store=store, now=1001.0)[1] == "invalid"
    assert sessions.check(f"v1.{name}.1500.{nonce}.{signature}", store=store, now=1501.0)[1] == "invalid"
    # signed with another key
    forged_sig = _b64(hmac.new(b"guess", f"v1|{other}|{issued}|{nonce}".encode(), hashlib.sha256).digest())
    forged = f"v1.{other}.{issued}.{nonce}.{forged_sig}"
    assert sessions.check(forged, store=store, now=1001.0)[1] == "invalid"
    # well signed (the key leaked) but naming a session the server never opened for that user
    assert sessions.check(_sign("ministere", 1000, nonce), store=store, now=1001.0)[1] == "ended"
    assert sessions.check(_sign("ecole", 1000, "0" * 64), store=store, now=1001.0)[1] == "ended"
    assert sessions.check("garbage", store=store, now=1001.0)[1] == "invalid"
    assert sessions.check(cookie, store=store, now=1001.0)[1] == "ok"


def test_a_revoked_session_cannot_be_replayed(store: Path) -> None:
    cookie = sessions.redeem(sessions.begin("ministere", store=store, now=1000.0), store=store, now=1000.0)
    assert cookie is not None
    sessions.revoke_cookie(cookie, store=store)
    assert sessions.check(cookie, store=store, now=1001.0) == (None, "ended")


def test_idle_time_out_ends_the_session_server_side(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sessions.IDLE_ENV, "10")  # minutes
    cookie = sessions.redeem(sessions.begin("ministere", store=store, now=0.0), store=store, now=0.0)
    assert cookie is not None
    assert sessions.check(cookie, store=store, now=599.0)[1] == "ok", "seen: the idle clock restarts"
    assert sessions.check(cookie, store=store, now=599.0 + 600)[1] == "ok"
    assert sessions.check(cookie, store=store, now=1199.0 + 601)[1] == "idle"
    assert sessions.check(cookie, store=store, now=1199.0 + 602)[1] == "ended", "deleted when found idle"


def test_a_session_has_an_absolute_lifetime(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sessions.MAX_AGE_ENV, "1")  # hour
    cookie = sessions.redeem(sessions.begin("ministere", store=store, now=0.0), store=store, now=0.0)
    assert cookie is not None
    for now in range(1000, 3600, 1000):  # kept busy, never idle
        assert sessions.check(cookie, store=store, now=float(now))[1] == "ok"
    assert sessions.check(cookie, store=store, now=3601.0)[1] == "expired"


def test_each_sign_in_rotates_the_nonce(store: Path) -> None:
    first = sessions.redeem(sessions.begin("ministere", store=store, now=0.0), store=store, now=0.0)
    second = sessions.redeem(sessions.begin("ministere", store=store, now=0.0), store=store, now=0.0)
    assert first and second and first.split(".")[3] != second.split(".")[3]
    sessions.revoke_cookie(first, store=store)
    assert sessions.check(second, store=store, now=1.0)[1] == "ok", "signing out one ends only that one"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("http://127.0.0.1:8501/data_quality?lang=ar", "/data_quality?lang=ar"),
        ("/indicators", "/indicators"),
        ("//evil.example/x", "/x"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        (None, "/"),
    ],
)
def test_the_return_path_stays_on_the_site(target: str | None, expected: str) -> None:
    assert sessions.safe_next(target) == expected


def test_a_ticket_works_only_in_the_browser_that_signed_in(store: Path) -> None:
    """A ticket handed to someone else (a link with it, to sign a victim into the sender's account) signs
    nobody in: it is bound to Streamlit's XSRF token of the browser that signed in."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    mine, theirs = bytes(range(16)), bytes(range(1, 17))
    # Streamlit re-masks the cookie at every page load: same token, another value
    first_load, second_load = generate_xsrf_token_string(mine), generate_xsrf_token_string(mine)
    assert first_load != second_load
    assert sessions.browser_id(first_load) == sessions.browser_id(second_load) == mine.hex()
    other = sessions.browser_id(generate_xsrf_token_string(theirs))

    ticket = sessions.begin("ministere", sessions.browser_id(first_load), store=store, now=0.0)
    assert sessions.redeem(ticket, other, store=store, now=1.0) is None
    assert sessions.redeem(ticket, sessions.browser_id(second_load), store=store, now=1.0) is None, "spent"
    ticket = sessions.begin("ministere", sessions.browser_id(first_load), store=store, now=0.0)
    assert sessions.redeem(ticket, "", store=store, now=1.0) is None, "no XSRF cookie: not the same browser"
    ticket = sessions.begin("ministere", sessions.browser_id(first_load), store=store, now=0.0)
    assert sessions.redeem(ticket, sessions.browser_id(second_load), store=store, now=1.0) is not None
