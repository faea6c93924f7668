"""Entry page of the PUBLIC statistics app (no sign-in).

Run on its own port, apart from the internal dashboards::

    streamlit run dashboards/public/app.py --server.headless true --server.port 8502

The parent lookup is not here: it is the parent portal (``dashboards/public/portal``, ``massar
serve-portal``), a stateless server-rendered service that scales by processes; the sidebar links to it
(``MASSAR_PORTAL_URL``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

import streamlit as st  # noqa: E402

import dashboards.hardening as hardening  # noqa: E402
from dashboards.i18n import t  # noqa: E402
from dashboards.ui import apply_direction, current_lang, language_switch  # noqa: E402

_PAGES = Path(__file__).resolve().parent / "pages_public"


def main() -> None:
    lang = current_lang()
    st.set_page_config(page_title=t("public.title", lang), layout="centered")
    hardening.apply(public=True)
    lang = language_switch()
    apply_direction(lang)
    portal = os.environ.get("MASSAR_PORTAL_URL", "http://localhost:8504").rstrip("/")
    st.sidebar.link_button(t("nav.lookup", lang), f"{portal}/{lang}/")
    page = st.navigation(
        [
            st.Page(
                _PAGES / "public_statistics.py",
                title=t("nav.public_statistics", lang),
                url_path="statistics",
                default=True,
            ),
        ]
    )
    page.run()


main()
