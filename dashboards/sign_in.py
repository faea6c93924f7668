"""The sign-in form of the internal dashboards (local accounts; see ``dashboards.auth``)."""

from __future__ import annotations

import streamlit as st

from dashboards.auth import authenticate, sign_in
from dashboards.i18n import t


def render(lang: str) -> None:
    """Ask for credentials; on success remember the user and rerun the requested page."""
    st.title(t("login.title", lang))
    with st.form("sign_in"):
        username = st.text_input(t("login.username", lang), key="login_username")
        password = st.text_input(t("login.password", lang), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit", lang))
    if submitted:
        user = authenticate(username.strip(), password)
        if user is None:
            st.error(t("login.failed", lang))
        else:
            sign_in(user)
            st.rerun()
