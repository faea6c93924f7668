"""Entry page of the dashboards: page config, language switch (``?lang=fr|ar``), direction, navigation.

Run from the repository root (``massar serve`` does this)::

    streamlit run dashboards/app.py --server.headless true --server.enableStaticServing true --server.port N

``--server.enableStaticServing true`` serves ``dashboards/static/`` at ``/app/static/``: the maps need it
for plotly's base map (``static/topojson/world_110m.json``), as the machine has no internet.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[1]
if str(_REPO_ROOT) not in sys.path:  # `streamlit run dashboards/app.py` only puts dashboards/ on the path
    sys.path.insert(0, str(_REPO_ROOT))

import streamlit as st  # noqa: E402

import dashboards.hardening as hardening  # noqa: E402
from dashboards import sessions  # noqa: E402
from dashboards.auth import (  # noqa: E402
    VIA_OIDC,
    demo_accounts_active,
    resume_from_cookie,
    sign_in,
    sign_out,
    signed_in_user,
)
from dashboards.i18n import t  # noqa: E402
from dashboards.oidc import user_from_claims  # noqa: E402
from dashboards.sign_in import render as render_sign_in  # noqa: E402
from dashboards.ui import apply_direction, current_lang, language_switch  # noqa: E402

# One file per page, routed by st.navigation below. The folder must NOT be called `pages/`: a `pages/`
# folder next to the entrypoint switches Streamlit to its legacy multipage mode until some session has
# run st.navigation, so a deep link (`/national_overview`) on a fresh server runs the page without this
# file (no sys.path, no language switch), and AppTest reruns skip this file altogether.
_PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

# (file in app_pages/, title label, icon, URL path, default)
PAGES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("national_overview.py", "nav.national_overview", ":material/map:", "national_overview", True),
    ("absence_monitoring.py", "nav.absence_monitoring", ":material/event_busy:", "absence_monitoring", False),
    ("data_quality.py", "nav.data_quality", ":material/fact_check:", "data_quality", False),
    ("indicators.py", "nav.indicators", ":material/analytics:", "indicators", False),
    (
        "territory_profile.py",
        "nav.territory_profile",
        ":material/picture_as_pdf:",
        "territory_profile",
        False,
    ),
    ("grades_exams.py", "nav.grades_exams", ":material/grading:", "grades_exams", False),
    (
        "teachers_infrastructure.py",
        "nav.teachers_infrastructure",
        ":material/groups:",
        "teachers_infrastructure",
        False,
    ),
    ("infrastructure.py", "nav.infrastructure", ":material/meeting_room:", "infrastructure", False),
    ("social_support.py", "nav.social_support", ":material/volunteer_activism:", "social_support", False),
    ("orientation.py", "nav.orientation", ":material/alt_route:", "orientation", False),
    ("preschool.py", "nav.preschool", ":material/child_care:", "preschool", False),
    ("nonformal_education.py", "nav.nonformal_education", ":material/school:", "nonformal_education", False),
    ("human_resources.py", "nav.human_resources", ":material/badge:", "human_resources", False),
    ("fees.py", "nav.fees", ":material/payments:", "fees", False),
    (
        "inclusive_education.py",
        "nav.inclusive_education",
        ":material/accessible:",
        "inclusive_education",
        False,
    ),
)

# Sections of the sidebar menu (title label -> pages, by file): every page of PAGES in exactly one.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "nav.section.overview",
        ("national_overview.py", "indicators.py", "territory_profile.py", "grades_exams.py"),
    ),
    ("nav.section.monitoring", ("absence_monitoring.py", "data_quality.py")),
    (
        "nav.section.resources",
        ("teachers_infrastructure.py", "human_resources.py", "infrastructure.py", "fees.py"),
    ),
    (
        "nav.section.programmes",
        (
            "social_support.py",
            "orientation.py",
            "preschool.py",
            "nonformal_education.py",
            "inclusive_education.py",
        ),
    ),
)


def _identity_provider_user(lang: str):  # -> User | None
    """The user signed in through OpenID Connect (``st.user``), mapped to a role and territory; an
    identity the claims grant nothing is told so and signed out."""
    if not st.user.get("is_logged_in"):
        return None
    user = user_from_claims(st.user.to_dict())
    if user is None:
        st.error(t("login.oidc_no_role", lang))
        if st.button(t("login.sign_out", lang), key="oidc_sign_out"):
            st.logout()
        st.stop()
    sign_in(user, via=VIA_OIDC)
    return user


def _current_user(lang: str):  # -> User | None
    # None, with the session emptied, after the idle time-out or when this run's connection does not carry
    # the session's sign-in (its cookie, or st.user's)
    user = signed_in_user()
    if user is not None:
        return user
    user, reason = resume_from_cookie()  # a local session's cookie: after a reload, in a new tab
    if user is not None:
        return user
    if reason == "idle":
        st.session_state["auth_idle_expired"] = True
    if st.session_state.get("auth_idle_expired"):
        if st.user.get("is_logged_in"):
            st.logout()  # ends the identity provider's cookie too, or the next run would sign in again
        return None
    return _identity_provider_user(lang)


def _sign_out() -> None:
    sign_out()  # revokes a local session server-side
    if st.user.get("is_logged_in"):
        st.logout()
    elif sessions.served():
        sessions.send_to_end()  # the browser drops the (now refused) cookie and reloads the page
        st.stop()


def main() -> None:
    lang = current_lang()
    # no page_icon: a material/emoji favicon is fetched from a CDN, unreachable offline
    st.set_page_config(page_title=t("app.page_title", lang), layout="wide")
    hardening.apply(public=False)
    lang = language_switch()
    apply_direction(lang)
    user = _current_user(lang)

    def sign_in_page() -> None:
        render_sign_in(lang)

    # Before sign-in every route serves the sign-in form under the page's own URL, so a deep link
    # (`/national_overview?...`) survives the sign-in; no page's code runs before it.
    pages = {
        file: st.Page(
            (_PAGES_DIR / file) if user else sign_in_page,
            title=t(title_key, lang),
            icon=icon,
            url_path=url_path,
            default=default,
        )
        for file, title_key, icon, url_path, default in PAGES
    }
    if user is None:
        page = st.navigation(list(pages.values()), position="hidden")
    else:  # every page listed (expanded: no "view more" fold beyond ten pages)
        menu = {t(section, lang): [pages[file] for file in files] for section, files in SECTIONS}
        page = st.navigation(menu, position="sidebar", expanded=True)
    if user is None:
        page.run()
        return
    scope = user.scope
    st.sidebar.caption(t("login.signed_in_as", lang, name=user.name_in(lang)))
    code = scope.school_code or scope.province_code or scope.region_code or ""
    st.sidebar.caption(t(f"scope.{scope.role}", lang, code=code))
    if demo_accounts_active():
        st.sidebar.warning(t("login.demo_warning", lang), icon=":material/warning:")
    if st.sidebar.button(t("login.sign_out", lang), key="sign_out"):
        _sign_out()
        st.rerun()
    page.run()


main()
