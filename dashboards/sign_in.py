"""The sign-in page of the internal dashboards: OpenID Connect when configured (``dashboards.oidc``), and
the local accounts' form when there are any (``dashboards.auth``, throttled).

Served to a browser, a local account's sign-in ends with the browser fetching its session cookie
(``dashboards.sessions``) and reloading the page, which then finds the session in the cookie."""

from __future__ import annotations

import logging
import math
from typing import Final

import streamlit as st

from dashboards import sessions
from dashboards.auth import attempt_sign_in, demo_accounts_active, load_users, sign_in
from dashboards.i18n import t
from dashboards.oidc import oidc_configured

_LOG: Final = logging.getLogger(__name__)


def client_address() -> str | None:
    """This session's client address: the socket's peer, or ``X-Forwarded-For`` when the peer is a trusted
    proxy (uvicorn's proxy-headers setting); None over loopback without a proxy."""
    try:
        return st.context.ip_address
    except Exception:  # outside a server (AppTest) there is no connection
        return None


def render(lang: str) -> None:
    """Offer the configured ways to sign in; on success start a fresh session and rerun the page."""
    st.title(t("login.title", lang))
    if demo_accounts_active():
        st.warning(t("login.demo_warning", lang), icon=":material/warning:")
    if st.session_state.pop("auth_idle_expired", False):
        st.info(t("login.idle_expired", lang))
    if oidc_configured():
        if st.button(t("login.oidc", lang), key="oidc_login", type="primary"):
            st.login()
        if not load_users():
            return
        st.caption(t("login.or_local", lang))
    with st.form("sign_in"):
        username = st.text_input(t("login.username", lang), key="login_username")
        password = st.text_input(t("login.password", lang), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit", lang))
    if submitted:
        result = attempt_sign_in(username.strip(), password, client_address())
        if result.user is not None and sessions.served():
            _start_cookie_session(result.user.username)
        elif result.user is not None:  # in-process (AppTest): no browser, no cookie
            sign_in(result.user)
            st.rerun()
        elif result.retry_after > 0:
            st.error(t("login.wait", lang, seconds=math.ceil(result.retry_after)))
        else:
            st.error(t("login.failed", lang))


def _start_cookie_session(username: str) -> None:
    """Open the user's session (new nonce) and send the browser for its cookie; the page then reloads."""
    if not sessions.routes_installed:
        _LOG.error("local sign-in needs the session routes: serve dashboards/server.py (massar serve)")
        st.error(f"{t('prod.refused', 'fr')}\n\n{t('prod.refused', 'ar')}")
        st.stop()
    sessions.send_to_start(sessions.begin(username, sessions.connection_browser()))
    st.stop()
