"""The dashboards served by `streamlit run` (as `massar serve` does) and drawn by headless Chromium.

Checks what only a browser shows: the map is really drawn offline (12 region paths, base map fetched from
the app's own static folder), no exception element, right-to-left layout in Arabic, and the language
switch writing `?lang=` into the URL. Screenshots are saved under pytest's tmp path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from browser_support import (
    CHROMIUM,
    RENDER_TIMEOUT_MS,
    SUBMIT_BUTTON,
    chromium,
    fill_sign_in,
    labels,
    streamlit_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[1]

playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url(published_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboards/server.py` (as `massar serve` runs it) on a free port, from the repository
    root; always terminated."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server("dashboards/server.py", published_home, log_path) as base:
        yield base


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def open_signed_in(page: Page, url: str) -> None:
    """Open ``url``; the internal app first asks for a sign-in, done with the demo ministry account."""
    page.goto(url)
    fill_sign_in(page)
    assert page.locator(".js-plotly-plot").count() == 0, "no chart may show before sign-in"
    page.locator(SUBMIT_BUTTON).click()


def test_deep_link_to_the_page(app_url: str, browser: Browser) -> None:
    """The page's own URL, as the server's very first request, still runs inside the entry page.

    Runs first on purpose: a `pages/` folder next to app.py would make this first request bypass app.py.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # the overview is the default page: its URL is the root (Streamlit ignores a default page's url_path)
        open_signed_in(page, f"{app_url}/?lang=ar")
        page.wait_for_selector(".js-plotly-plot", timeout=RENDER_TIMEOUT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("h1").first.inner_text().strip() == labels("ar")["overview.title"]
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text(labels("ar")["language.fr"], exact=True).count() == 1
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_overview_draws_the_regions(
    app_url: str, browser: Browser, lang: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    responses: dict[str, int] = {}
    page.on("response", lambda r: responses.__setitem__(r.url, r.status))
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    try:
        open_signed_in(page, f"{app_url}/?lang={lang}")
        page.wait_for_selector(".js-plotly-plot", timeout=RENDER_TIMEOUT_MS)
        page.wait_for_function(
            "document.querySelectorAll('path.choroplethlocation').length >= 12", timeout=RENDER_TIMEOUT_MS
        )
        page.wait_for_timeout(500)  # let the bar chart and table settle before the screenshot

        # the regions' map (12 shapes) and, in the next tab, the provinces' map (75 shapes)
        assert page.locator("path.choroplethlocation").count() == 12 + 75
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("h1").first.inner_text().strip() == labels(lang)["overview.title"]
        assert page.locator(".js-plotly-plot").count() == 5
        # the base map comes from the app's static folder, not from a CDN
        assert any(url.endswith("/app/static/topojson/world_110m.json") for url in responses), responses
        assert all(status == 200 for url, status in responses.items() if "/app/static/" in url)
        assert not [e for e in console_errors if "topojson" in e.lower()], console_errors

        direction = page.locator('[data-testid="stMain"]').evaluate("e => getComputedStyle(e).direction")
        assert direction == ("rtl" if lang == "ar" else "ltr")
        assert f"lang={lang}" in page.url

        shot = tmp_path_factory.mktemp("screenshots") / f"national_overview_{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        print(f"screenshot: {shot}")
    finally:
        page.close()


def test_click_on_a_region_of_the_map_shows_its_provinces(
    app_url: str, browser: Browser, published_home: Path
) -> None:
    """A click on a region of the national map (plotly's selection event, ``dashboards.drill``) opens the
    region: the URL names it, the breadcrumb shows it and the map shows its provinces; "back up one
    level" returns to the country. Nothing else on the page sets ``?region=``: without the drill-down the
    wait for the URL fails."""
    published = published_home / "warehouse" / "published"
    version = (published / "CURRENT").read_text(encoding="utf-8").strip().removesuffix(".duckdb")
    with duckdb.connect(str(published / f"{version}.duckdb"), read_only=True) as con:
        region, name = con.execute(
            "select f.region_code, any_value(r.name_fr) from marts.fct_enrollment as f "
            "join reference.code_regions as r using (region_code) "
            "group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()
        provinces = con.execute(
            "select count(*) from reference.code_provinces where region_code = ?", [region]
        ).fetchone()[0]
    fr = labels("fr")
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    try:
        open_signed_in(page, f"{app_url}/?lang=fr")
        page.wait_for_function(
            "document.querySelectorAll('path.choroplethlocation').length >= 12", timeout=RENDER_TIMEOUT_MS
        )
        page.wait_for_timeout(500)
        shapes = page.locator(".js-plotly-plot").first.locator("path.choroplethlocation")
        codes = shapes.evaluate_all("paths => paths.map(p => p.__data__ && p.__data__.loc)")
        assert sorted(codes) == [f"{i:02d}" for i in range(1, 13)], codes
        assert "region=" not in page.url

        shapes.nth(codes.index(region)).click(force=True)
        page.wait_for_function(
            f"new URLSearchParams(window.location.search).get('region') === '{region}'",
            timeout=RENDER_TIMEOUT_MS,
        )
        page.wait_for_function(
            f"document.querySelectorAll('path.choroplethlocation').length === {provinces}",
            timeout=RENDER_TIMEOUT_MS,
        )
        main = page.locator('[data-testid="stMain"]')
        assert main.get_by_text(name, exact=True).count() >= 1  # the breadcrumb names the region
        assert page.locator('[data-testid="stException"]').count() == 0

        page.get_by_role("button", name=fr["drill.up"]).click()
        page.wait_for_function("!window.location.search.includes('region=')", timeout=RENDER_TIMEOUT_MS)
        page.wait_for_function(
            "document.querySelectorAll('path.choroplethlocation').length === 12 + 75",
            timeout=RENDER_TIMEOUT_MS,
        )
    finally:
        page.close()


def test_language_switch_writes_the_url(app_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_signed_in(page, f"{app_url}/?lang=fr")
        page.wait_for_selector(".js-plotly-plot", timeout=RENDER_TIMEOUT_MS)
        page.locator('[data-testid="stSidebar"]').get_by_text(labels("fr")["language.ar"], exact=True).click()
        page.wait_for_function(
            "t => document.querySelector('h1') && document.querySelector('h1').innerText.trim() === t",
            arg=labels("ar")["overview.title"],
            timeout=RENDER_TIMEOUT_MS,
        )
        page.wait_for_url("**lang=ar**", timeout=RENDER_TIMEOUT_MS)
        page.wait_for_selector(".js-plotly-plot", timeout=RENDER_TIMEOUT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
