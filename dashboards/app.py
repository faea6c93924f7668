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

from dashboards.i18n import t  # noqa: E402
from dashboards.ui import apply_direction, current_lang, language_switch  # noqa: E402

# One file per page, routed by st.navigation below. The folder must NOT be called `pages/`: a `pages/`
# folder next to the entrypoint switches Streamlit to its legacy multipage mode until some session has
# run st.navigation, so a deep link (`/national_overview`) on a fresh server runs the page without this
# file (no sys.path, no language switch), and AppTest reruns skip this file altogether.
_PAGES_DIR = Path(__file__).resolve().parent / "app_pages"


def main() -> None:
    lang = current_lang()
    # no page_icon: a material/emoji favicon is fetched from a CDN, unreachable offline
    st.set_page_config(page_title=t("app.page_title", lang), layout="wide")
    lang = language_switch()
    apply_direction(lang)
    page = st.navigation(
        [
            st.Page(
                _PAGES_DIR / "national_overview.py",
                title=t("nav.national_overview", lang),
                icon=":material/map:",
                url_path="national_overview",
                default=True,
            ),
        ]
    )
    page.run()


main()
