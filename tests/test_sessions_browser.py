"""Local-account sessions end to end: ``dashboards/server.py`` served by ``streamlit run`` (as ``massar
serve`` runs it), headless Chromium signing in with a demo account, and a raw websocket client for the
session-resumption attack.

Checked: the sign-in survives a reload (the HttpOnly, SameSite=Strict session cookie); sign-out ends it
(a reload shows the sign-in form, and the old cookie replayed in a fresh browser is refused); and a
websocket that resumes a signed-in session by its id, without the cookie, is attached to that very session
(the server says so) but gets the sign-in form, not the signed-in page, while the same resumption with the
cookie gets the signed-in page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_support import (
    CHROMIUM,
    PASSWORD_INPUT,
    RENDER_TIMEOUT_MS,
    SUBMIT_BUTTON,
    chromium,
    fill_sign_in,
    labels,
    sign_in,
    streamlit_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[1]
playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

# users.demo.toml: the account and the start of its display name in French and in Arabic
DEMO_NAME, DEMO_NAME_AR = "Ministère", "الوزارة"
COOKIE = "massar_session"


FR = labels("fr")
SIGNED_IN_AS = FR["login.signed_in_as"].format(name=DEMO_NAME)
AR_SIGNED_IN_AS = labels("ar")["login.signed_in_as"].format(name=DEMO_NAME_AR)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The internal dashboards on a home of their own (the sign-in needs no warehouse; the pages say that
    none is published)."""
    home = tmp_path_factory.mktemp("sessions_home")
    with streamlit_server("dashboards/server.py", home, home / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def _sign_in(page: Page, url: str, name: str = SIGNED_IN_AS) -> None:
    sign_in(page, url)
    _wait_signed_in(page, name)


def _wait_signed_in(page: Page, name: str = SIGNED_IN_AS) -> None:
    page.get_by_text(name).wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.locator(PASSWORD_INPUT).count() == 0


def _wait_sign_in_form(page: Page) -> None:
    page.wait_for_selector(PASSWORD_INPUT, timeout=RENDER_TIMEOUT_MS)
    assert page.get_by_text(SIGNED_IN_AS).count() == 0


def _session_cookie(context: BrowserContext) -> dict:
    cookies = [c for c in context.cookies() if c["name"] == COOKIE]
    assert len(cookies) == 1, context.cookies()
    return cookies[0]


def test_reload_keeps_the_sign_in_and_the_deep_link(browser: Browser, app_url: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        _sign_in(page, f"{app_url}/data_quality?lang=ar", name=AR_SIGNED_IN_AS)
        assert page.url == f"{app_url}/data_quality?lang=ar", "back on the deep link after sign-in"
        cookie = _session_cookie(context)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert cookie["expires"] > 0, "an expiring cookie"
        page.reload()
        _wait_signed_in(page, AR_SIGNED_IN_AS)
        # a second tab of the same browser shares the sign-in
        other = context.new_page()
        other.goto(app_url)
        _wait_signed_in(other)
    finally:
        context.close()


def test_sign_out_ends_the_session_and_its_cookie(browser: Browser, app_url: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        _sign_in(page, app_url)
        stolen = _session_cookie(context)
        page.get_by_role("button", name=FR["login.sign_out"]).click()
        _wait_sign_in_form(page)
        assert not [c for c in context.cookies() if c["name"] == COOKIE], "the browser dropped the cookie"
        page.reload()
        _wait_sign_in_form(page)
    finally:
        context.close()
    # the cookie, replayed after sign-out in a fresh browser, is refused: its session was revoked
    replay = browser.new_context()
    try:
        replay.add_cookies([stolen])
        page = replay.new_page()
        page.goto(app_url)
        _wait_sign_in_form(page)
    finally:
        replay.close()


def test_a_live_cookie_signs_a_fresh_browser_in(browser: Browser, app_url: str) -> None:
    """Control for the replay above: a cookie whose session lives does sign a fresh browser in."""
    owner = browser.new_context()
    try:
        _sign_in(owner.new_page(), app_url)
        cookie = _session_cookie(owner)
        copy = browser.new_context()
        try:
            copy.add_cookies([cookie])
            page = copy.new_page()
            page.goto(app_url)
            _wait_signed_in(page)
        finally:
            copy.close()
    finally:
        owner.close()


def test_a_sign_in_ticket_passed_to_another_browser_signs_nobody_in(browser: Browser, app_url: str) -> None:
    """The link that fetches the cookie after the password check, opened in another browser (a victim
    lured into the sender's account), gives no session there."""
    sender = browser.new_context()
    try:
        # the sender's browser does not follow its own link
        sender.route("**/_massar/session/start**", lambda route: route.abort())
        page = sender.new_page()
        page.goto(app_url)
        fill_sign_in(page)
        with page.expect_request("**/_massar/session/start**", timeout=RENDER_TIMEOUT_MS) as request:
            page.locator(SUBMIT_BUTTON).click()
        ticket_link = request.value.url
        assert "ticket=" in ticket_link
    finally:
        sender.close()
    victim = browser.new_context()
    try:
        page = victim.new_page()
        page.goto(app_url)  # the victim has been on the site: Streamlit's XSRF cookie of its own
        page.wait_for_selector(PASSWORD_INPUT, timeout=RENDER_TIMEOUT_MS)
        page.goto(ticket_link)
        _wait_sign_in_form(page)
        assert not [c for c in victim.cookies() if c["name"] == COOKIE]
    finally:
        victim.close()


# --- resuming a session by its id ----------------------------------------------------------------------


def _forward_msgs(frames: list[bytes]) -> list[object]:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msgs = []
    for frame in frames:
        msg = ForwardMsg()
        msg.ParseFromString(frame)
        msgs.append(msg)
    return msgs


def _text(msgs: list[object]) -> str:
    from google.protobuf import text_format

    return "\n".join(text_format.MessageToString(m, as_utf8=True) for m in msgs)


def _resume(app_url: str, session_id: str, cookie: str | None) -> tuple[str, str]:
    """Open a websocket that asks to resume ``session_id`` (with ``cookie`` as its only cookie, or none),
    ask for a run, and return the session id the server attached it to and everything it sent."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.sync.client import connect

    ws_url = app_url.replace("http://", "ws://") + "/_stcore/stream"
    headers = {"Origin": app_url, **({"Cookie": f"{COOKIE}={cookie}"} if cookie else {})}
    frames: list[bytes] = []
    with connect(
        ws_url,
        # Streamlit's frontend offers [streamlit, <XSRF token>, <session id to resume>]; the token only
        # guards st.login's identity cookie, which local accounts do not have
        subprotocols=["streamlit", "no-xsrf-token", session_id],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=30,
    ) as ws:
        rerun = BackMsg()
        rerun.rerun_script.query_string = "lang=fr"
        rerun.rerun_script.context_info.url = f"{app_url}/?lang=fr"
        ws.send(rerun.SerializeToString())
        while True:
            frame = ws.recv(timeout=30)
            assert isinstance(frame, bytes)
            frames.append(frame)
            msgs = _forward_msgs(frames[-1:])
            if msgs[0].WhichOneof("type") == "script_finished":
                break
    msgs = _forward_msgs(frames)
    attached = [m.new_session.initialize.session_id for m in msgs if m.WhichOneof("type") == "new_session"]
    return (attached[-1] if attached else ""), _text(msgs)


def test_a_signed_in_session_cannot_be_resumed_by_its_id_without_the_cookie(
    browser: Browser, app_url: str
) -> None:
    context = browser.new_context()
    session_ids: list[str] = []

    def on_websocket(ws: object) -> None:
        def on_frame(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                for msg in _forward_msgs([payload]):
                    if msg.WhichOneof("type") == "new_session":
                        session_ids.append(msg.new_session.initialize.session_id)

        ws.on("framereceived", on_frame)  # type: ignore[attr-defined]

    try:
        page = context.new_page()
        page.on("websocket", on_websocket)
        _sign_in(page, f"{app_url}/?lang=fr")
        cookie = _session_cookie(context)["value"]
        victim = session_ids[-1]
        page.close()  # the owner disconnects: Streamlit keeps the session, resumable by its id
        attached, sent = _resume(app_url, victim, cookie=None)
        assert attached == victim, "the server did resume the signed-in session"
        assert SIGNED_IN_AS not in sent
        assert FR["login.password"] in sent, "the resumed session shows the sign-in form"
        # control: the owner's own reconnection (with the cookie) to a session gets the signed-in page
        attached, sent = _resume(app_url, attached, cookie=cookie)
        assert attached == victim
        assert SIGNED_IN_AS in sent
    finally:
        context.close()
