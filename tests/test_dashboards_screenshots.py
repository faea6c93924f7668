"""Screenshots of every page of the internal app, in French and Arabic, by headless Chromium (three of them
in the default suite, all 28 with the slow ones: ``make test-all``).

One `streamlit run dashboards/server.py` server for the module (as `massar serve` runs it), signed in as the
demo ministry account. The pages come from ``dashboards.app.PAGES`` (read from the source, so every
engineer's page is covered without editing this file). A page fails when it shows a Streamlit exception
element, or when its source draws a chart (``st.plotly_chart``) and none is rendered without an alert
saying why (a "no data for this selection" warning, e.g. when small-cell suppression hides everything).

Screenshots go to ``$MASSAR_SCREENSHOTS_DIR`` when set, else under pytest's tmp path.
"""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_support import (
    CHROMIUM,
    PASSWORD_INPUT,
    RENDER_TIMEOUT_MS,
    chromium,
    labels,
    sign_in,
    streamlit_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[1]
APP = REPO_ROOT / "dashboards" / "app.py"
PAGES_DIR = REPO_ROOT / "dashboards" / "app_pages"
LANGS = ("fr", "ar")
SETTLE_MS = 800  # after the last run ends: let plotly finish drawing before the screenshot

playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)


def app_pages() -> list[tuple[str, str, str, bool]]:
    """``(file, title key, url path, default)`` of every entry of ``PAGES`` in dashboards/app.py.

    Read from the source: importing app.py would run the Streamlit script.
    """
    for node in ast.walk(ast.parse(APP.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "PAGES"
            and node.value is not None
        ):
            entries = ast.literal_eval(node.value)
            return [(file, title, url, default) for file, title, _icon, url, default in entries]
    raise AssertionError("PAGES not found in dashboards/app.py")


PAGES = app_pages()


def draws_a_chart(page_file: str) -> bool:
    """Whether the page's source draws a plotly chart (then at least one must show), itself or through
    ``dashboards.exports.show_chart``."""
    source = (PAGES_DIR / page_file).read_text(encoding="utf-8")
    return "st.plotly_chart" in source or "show_chart(" in source


@pytest.fixture(scope="module")
def app_url(published_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("streamlit_screens") / "server.log"
    with streamlit_server("dashboards/server.py", published_home, log_path) as base:
        yield base


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("MASSAR_SCREENSHOTS_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def signed_in(page: Page) -> None:
    sign_in(page)
    # the sign-in page is gone (its demo-mode warning would pass for a page's "nothing to draw" alert)
    page.wait_for_selector(PASSWORD_INPUT, state="detached", timeout=RENDER_TIMEOUT_MS)


def wait_until_rendered(page: Page, expect_chart: bool) -> None:
    """The page title is drawn, the script run is over (no status widget) and, if any, a chart is drawn."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=RENDER_TIMEOUT_MS)
    if expect_chart:
        # a missing chart is reported by the test's assertion, after the screenshot is taken
        # a chart, or the alert a page shows instead when there is nothing to draw
        with contextlib.suppress(playwright_sync.TimeoutError):
            page.wait_for_selector(
                '.js-plotly-plot, [data-testid="stMain"] [data-testid="stAlert"]', timeout=RENDER_TIMEOUT_MS
            )
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=RENDER_TIMEOUT_MS
    )
    page.wait_for_timeout(SETTLE_MS)


# The default suite shoots these (the landing page with its maps, and a page in each reading direction);
# every other page and language is marked slow (6 s each: `make test-all`). The pages' content, in both
# languages and for every role, is checked by their AppTest tests in the default suite.
DEFAULT_SUITE_SHOTS = {("national_overview", "fr"), ("national_overview", "ar"), ("absence_monitoring", "ar")}


def screenshot_cases() -> list[object]:
    return [
        pytest.param(
            *page,
            lang,
            id=f"{page[2]}-{lang}",
            marks=() if (page[2], lang) in DEFAULT_SUITE_SHOTS else pytest.mark.slow,
        )
        for page in PAGES
        for lang in LANGS
    ]


@pytest.mark.parametrize(("page_file", "title_key", "url_path", "default", "lang"), screenshot_cases())
def test_page_screenshot(
    app_url: str,
    browser: Browser,
    screenshots_dir: Path,
    page_file: str,
    title_key: str,
    url_path: str,
    default: bool,
    lang: str,
) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    try:
        # a default page's URL is the root (Streamlit ignores its url_path); the others have their own path
        page.goto(f"{app_url}/{'' if default else url_path}?lang={lang}")
        signed_in(page)  # a deep link survives the sign-in: the page itself is then shown
        expect_chart = draws_a_chart(page_file)
        rtl = lang == "ar"
        wait_until_rendered(page, expect_chart)
        shot = screenshots_dir / f"{url_path}_{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")

        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        if expect_chart and page.locator(".js-plotly-plot").count() == 0:
            # a page may draw no chart only when it says why (a "no data for this selection" alert)
            alerts = page.locator('[data-testid="stMain"] [data-testid="stAlert"]')
            assert alerts.count() >= 1, f"{page_file} ({lang}) drew no chart and shows no message"
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert nav.get_by_text(labels(lang)[title_key], exact=True).count() == 1
        direction = page.locator('[data-testid="stMain"]').evaluate("e => getComputedStyle(e).direction")
        assert direction == ("rtl" if lang == "ar" else "ltr")
        # the document declares its language and direction (<html lang dir>)
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
            lang,
            "rtl" if rtl else "ltr",
        ]
        # a table wider than its frame opens at its first column: scrolled to its right end in Arabic
        # (columns laid out from the right), at its left end in French
        grids = page.evaluate(
            """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller'))
                .map((e) => [e.scrollLeft, e.scrollWidth - e.clientWidth])"""
        )
        for left, end in grids:
            if end > 0:
                assert abs(left - (end if rtl else 0)) <= 1, (left, end)
        # the sidebar stands on the reading side: on the right in Arabic
        sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
        main = page.locator('[data-testid="stMain"]').bounding_box()
        assert sidebar is not None and main is not None
        assert (sidebar["x"] > main["x"]) is rtl
        assert shot.stat().st_size > 20_000
    finally:
        page.close()
