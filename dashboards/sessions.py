"""Signed-in sessions of local accounts that survive a reload, bound to an HttpOnly cookie.

A Streamlit script talks to the browser over a websocket and cannot set a cookie; the internal dashboards
are therefore served by ``dashboards/server.py`` (an ``st.App``, which ``streamlit run`` serves with
uvicorn), which adds two small HTTP routes:

- ``/_massar/session/start?ticket=...&next=...``: after the sign-in form has checked the password, the
  script stores a one-time *ticket* (random, 60 seconds, single use, bound to the browser that signed in
  by Streamlit's XSRF cookie, so that a ticket passed to someone else signs nobody in) and sends the
  browser here; the route consumes the ticket and answers with the session cookie and a redirect back to
  the page.
- ``/_massar/session/end?next=...``: revokes the session the request's cookie names, deletes the cookie
  and redirects to the page (the script revokes it too, before sending the browser there).

The cookie (``massar_session``; HttpOnly, SameSite=Strict, Secure over HTTPS, ``Max-Age`` = the absolute
lifetime) carries the user name, the issue time and a random session nonce, signed with HMAC-SHA256 under
the server key ``session`` (``massar.settings.keys``). Server-side, ``$MASSAR_HOME/auth/sessions.sqlite``
holds one row per live session (a hash of its nonce, the user name, issue and last-seen times): the row is the
session. Sign-out and the idle time-out delete it, so the cookie is refused afterwards, replayed or not;
each sign-in gets a new nonce. Every script run reads the cookie of its own connection
(``st.context.cookies``, the websocket's handshake: a reconnected websocket brings its own) and checks
it: signature, absolute lifetime (``MASSAR_SESSION_MAX_HOURS``, default 12), the row exists and names the
same user, idle time (``MASSAR_SESSION_IDLE_MINUTES``, default 30) since the last run; the run then marks
the row as seen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlencode, urlsplit

from dashboards.sqlite_wal import connect_wal
from massar.settings import paths
from massar.settings.hashing import hmac_sha256
from massar.settings.keys import server_key

COOKIE_NAME: Final[str] = "massar_session"
ROUTE_PREFIX: Final[str] = "/_massar/session"
KEY_NAME: Final[str] = "session"
IDLE_ENV: Final[str] = "MASSAR_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES: Final[float] = 30.0
MAX_AGE_ENV: Final[str] = "MASSAR_SESSION_MAX_HOURS"
DEFAULT_MAX_AGE_HOURS: Final[float] = 12.0
TICKET_SECONDS: Final[float] = 60.0
#: Streamlit's XSRF cookie: random per browser, set on the page load, sent with the websocket handshake.
BROWSER_COOKIE: Final[str] = "_streamlit_xsrf"
_VERSION: Final[str] = "v1"

_SCHEMA: Final[tuple[str, ...]] = (
    """
    create table if not exists sessions (
        nonce_hash text primary key,
        username text not null,
        issued_at real not null,
        last_seen real not null
    )
    """,
    """
    create table if not exists tickets (
        ticket_hash text primary key,
        browser_hash text not null,
        username text not null,
        nonce text not null,
        issued_at real not null,
        expires_at real not null
    )
    """,
)

#: Set by ``dashboards/server.py``: the routes that set and clear the cookie are mounted in this process.
routes_installed: bool = False


@dataclass(frozen=True)
class Session:
    username: str
    nonce: str
    issued_at: float


def idle_timeout_s() -> float:
    minutes = float(os.environ.get(IDLE_ENV, "") or DEFAULT_IDLE_MINUTES)
    if minutes <= 0:
        raise ValueError(f"{IDLE_ENV} must be positive")
    return minutes * 60


def max_age_s() -> float:
    hours = float(os.environ.get(MAX_AGE_ENV, "") or DEFAULT_MAX_AGE_HOURS)
    if hours <= 0:
        raise ValueError(f"{MAX_AGE_ENV} must be positive")
    return hours * 3600


def default_store() -> Path:
    return paths().home / "auth" / "sessions.sqlite"


def _connect(store: Path | None) -> sqlite3.Connection:
    con = connect_wal(store or default_store())
    for statement in _SCHEMA:
        con.execute(statement)
    return con


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(name_b64: str, issued: int, nonce: str) -> str:
    message = f"{_VERSION}|{name_b64}|{issued}|{nonce}".encode()
    return _b64(hmac_sha256(server_key(KEY_NAME), message))


def encode_cookie(session: Session) -> str:
    """``v1.<user name, base64url>.<issued, epoch seconds>.<nonce>.<HMAC-SHA256, base64url>``."""
    name_b64 = _b64(session.username.encode())
    issued = int(session.issued_at)
    return f"{_VERSION}.{name_b64}.{issued}.{session.nonce}.{_signature(name_b64, issued, session.nonce)}"


def decode_cookie(value: str) -> Session | None:
    """The session a cookie names when its signature is right (nothing else is checked here)."""
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != _VERSION or not parts[2].isdigit():
        return None
    _, name_b64, issued, nonce, signature = parts
    if not hmac.compare_digest(signature, _signature(name_b64, int(issued), nonce)):
        return None
    try:
        username = _unb64(name_b64).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return Session(username=username, nonce=nonce, issued_at=float(issued))


def _purge(con: sqlite3.Connection, now: float) -> None:
    con.execute(
        "delete from sessions where last_seen < :idle or issued_at < :oldest",
        {"idle": now - idle_timeout_s(), "oldest": now - max_age_s()},
    )
    con.execute("delete from tickets where expires_at < :now", {"now": now})


def browser_id(xsrf_cookie: str | None) -> str:
    """What identifies a browser in Streamlit's XSRF cookie: its token (the cookie's value is re-masked at
    each page load, the token is kept); empty without one."""
    if not xsrf_cookie:
        return ""
    from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

    token, _ = decode_xsrf_token_string(xsrf_cookie)
    return token.hex() if token else ""


def begin(username: str, browser: str = "", *, store: Path | None = None, now: float | None = None) -> str:
    """Open a new session for ``username`` (a new nonce) and return the one-time ticket that
    ``/_massar/session/start`` exchanges for its cookie, from the browser ``browser`` (``browser_id``)."""
    now = time.time() if now is None else now
    nonce = secrets.token_hex(32)
    ticket = secrets.token_urlsafe(32)
    con = _connect(store)
    try:
        con.execute("begin immediate")
        _purge(con, now)
        con.execute(
            "insert into sessions values (:nonce, :user, :now, :now)",
            {"nonce": _digest(nonce), "user": username, "now": now},
        )
        con.execute(
            "insert into tickets values (:ticket, :browser, :user, :nonce, :now, :expires)",
            {
                "ticket": _digest(ticket),
                "browser": _digest(browser),
                "user": username,
                "nonce": nonce,
                "now": now,
                "expires": now + TICKET_SECONDS,
            },
        )
        con.execute("commit")
    finally:
        con.close()
    return ticket


def redeem(
    ticket: str, browser: str = "", *, store: Path | None = None, now: float | None = None
) -> str | None:
    """The signed cookie value for a ticket, once: the ticket is deleted whatever happens; None when it is
    unknown, used, expired, presented by another browser than the one that signed in, or its session
    already ended."""
    now = time.time() if now is None else now
    con = _connect(store)
    try:
        row = con.execute(
            "delete from tickets where ticket_hash = ? "
            "returning username, nonce, issued_at, expires_at, browser_hash",
            (_digest(ticket),),
        ).fetchone()
        if row is None or row[3] < now or not hmac.compare_digest(row[4], _digest(browser)):
            return None
        username, nonce, issued_at, _, _ = row
        live = con.execute("select 1 from sessions where nonce_hash = ?", (_digest(nonce),)).fetchone()
    finally:
        con.close()
    if live is None:
        return None
    return encode_cookie(Session(username=username, nonce=nonce, issued_at=issued_at))


def check(
    value: str | None, *, store: Path | None = None, now: float | None = None
) -> tuple[Session | None, str]:
    """The live session a cookie value names, marked as seen now; else None and why (``missing``,
    ``invalid``, ``expired``, ``ended``, ``idle``). An idle session is deleted."""
    if not value:
        return None, "missing"
    session = decode_cookie(value)
    if session is None:
        return None, "invalid"
    now = time.time() if now is None else now
    if now - session.issued_at > max_age_s():
        return None, "expired"
    con = _connect(store)
    try:
        con.execute("begin immediate")
        row = con.execute(
            "select username, last_seen from sessions where nonce_hash = ?", (_digest(session.nonce),)
        ).fetchone()
        if row is None or row[0] != session.username:
            con.execute("commit")
            return None, "ended"
        if now - row[1] > idle_timeout_s():
            con.execute("delete from sessions where nonce_hash = ?", (_digest(session.nonce),))
            con.execute("commit")
            return None, "idle"
        con.execute(
            "update sessions set last_seen = max(last_seen, ?) where nonce_hash = ?",
            (now, _digest(session.nonce)),
        )
        con.execute("commit")
    finally:
        con.close()
    return session, "ok"


def revoke(nonce: str, *, store: Path | None = None) -> None:
    """End a session: its cookie is refused from now on."""
    con = _connect(store)
    try:
        con.execute("delete from sessions where nonce_hash = ?", (_digest(nonce),))
    finally:
        con.close()


def revoke_cookie(value: str | None, *, store: Path | None = None) -> None:
    """End the session a (correctly signed) cookie value names."""
    session = decode_cookie(value) if value else None
    if session is not None:
        revoke(session.nonce, store=store)


# --- in the Streamlit script -----------------------------------------------------------------------------


def served() -> bool:
    """Whether this run serves a real browser connection (a real Streamlit runtime, not ``AppTest``, which
    runs the script in-process with a stand-in runtime and no connection anyone could resume)."""
    from streamlit import runtime
    from streamlit.runtime import Runtime

    return runtime.exists() and type(runtime.get_instance()) is Runtime


def connection_cookie() -> str | None:
    """The session cookie of this run's connection (``st.context.cookies``: the cookies of the websocket
    handshake of the connection the session has now, so a reconnected websocket brings its own)."""
    import streamlit as st

    return st.context.cookies.get(COOKIE_NAME)


def _base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def safe_next(target: str | None) -> str:
    """A same-site path to return to: the path and query of ``target`` (a URL or a path); ``/`` when it is
    anything else."""
    if not target:
        return "/"
    parts = urlsplit(target)
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _current_location() -> str:
    """This page's path (``st.context.url`` drops the query) and its query parameters."""
    import streamlit as st

    path = safe_next(st.context.url)
    params = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return f"{path}?{urlencode(params)}" if params else path


def _redirect(url: str) -> None:
    """Send the browser to ``url`` (the message ``st.login`` uses to reach the identity provider)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    msg = ForwardMsg()
    msg.auth_redirect.url = url
    ctx.enqueue(msg)


def connection_browser() -> str:
    """``browser_id`` of this run's connection."""
    import streamlit as st

    return browser_id(st.context.cookies.get(BROWSER_COOKIE))


def send_to_start(ticket: str) -> None:
    """Have the browser exchange ``ticket`` for the cookie and come back to the current page."""
    query = urlencode({"ticket": ticket, "next": _current_location()})
    _redirect(f"{_base_path()}{ROUTE_PREFIX}/start?{query}")


def send_to_end() -> None:
    """Have the browser drop its cookie and come back to the current page (the sign-in form)."""
    _redirect(f"{_base_path()}{ROUTE_PREFIX}/end?{urlencode({'next': _current_location()})}")


# --- HTTP routes (mounted by dashboards/server.py) -------------------------------------------------------


def routes() -> list:
    """The Starlette routes that set and clear the cookie."""
    from starlette.requests import Request
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    def _redirect_to(request: Request) -> RedirectResponse:
        # `next` is the page's own path (from st.context.url), base URL path included
        response = RedirectResponse(safe_next(request.query_params.get("next")), 303)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _cookie_path() -> str:
        return _base_path() or "/"

    async def start(request: Request) -> RedirectResponse:
        from starlette.concurrency import run_in_threadpool

        response = _redirect_to(request)
        ticket = request.query_params.get("ticket", "")
        value = await run_in_threadpool(redeem, ticket, browser_id(request.cookies.get(BROWSER_COOKIE)))
        if value is not None:
            response.set_cookie(
                COOKIE_NAME,
                value,
                max_age=int(max_age_s()),
                path=_cookie_path(),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response

    async def end(request: Request) -> RedirectResponse:
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(revoke_cookie, request.cookies.get(COOKIE_NAME))
        response = _redirect_to(request)
        response.delete_cookie(
            COOKIE_NAME,
            path=_cookie_path(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    base = _base_path()
    return [
        Route(f"{base}{ROUTE_PREFIX}/start", start, methods=["GET"]),
        Route(f"{base}{ROUTE_PREFIX}/end", end, methods=["GET"]),
    ]
