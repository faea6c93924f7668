"""The Data Docs link of the data-quality page, in headless Chromium with every other host unreachable.

``dashboards/server.py`` served by ``streamlit run`` (as ``massar serve`` runs it) on the session
pipeline's home (its gate wrote the Data Docs); the browser signs in with the national demo account, opens
the page's link and must see the validation list with its rows and a validation page, while every request
to a host other than 127.0.0.1 is aborted (and the Data Docs' tab attempts none). Without a session cookie
the route answers 403.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from browser_support import CHROMIUM, RENDER_TIMEOUT_MS, chromium, sign_in, streamlit_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

DOCS_PATH = "/_massar/data-docs/index.html"


@pytest.fixture(scope="module")
def app_url(published_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("data_docs_browser") / "server.log"
    with streamlit_server("dashboards/server.py", published_home, log) as base:
        yield base


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_route_refuses_a_request_without_session(app_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app_url}{DOCS_PATH}", timeout=10)
    assert refused.value.code == 403


def test_data_docs_link_opens_offline(browser: Browser, app_url: str) -> None:
    context = browser.new_context()
    elsewhere: list[tuple[object, str]] = []  # (the page that asked, URL)

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append((route.request.frame.page, route.request.url))
            route.abort()

    context.route("**/*", only_local)
    try:
        page = context.new_page()
        sign_in(page, f"{app_url}/data_quality")
        link = page.locator('[data-testid="stLinkButton"] a')
        link.wait_for(timeout=RENDER_TIMEOUT_MS)
        assert link.get_attribute("href") == DOCS_PATH, "a relative link to the dashboards' own server"
        with context.expect_page(timeout=RENDER_TIMEOUT_MS) as opened:
            link.click()
        docs = opened.value
        docs.wait_for_load_state("load")
        assert docs.url == f"{app_url}{DOCS_PATH}"
        rows = docs.locator('table tbody tr a[href^="validations/"]')
        assert rows.count() >= 1, docs.content()[:2000]
        assert rows.first.is_visible()
        rows.first.click()
        docs.wait_for_load_state("load")
        assert "/_massar/data-docs/validations/" in docs.url
        assert docs.locator("table").count() >= 1, "the validation page renders its results"
        docs.get_by_role("link", name="Home").first.click()
        docs.wait_for_load_state("load")
        assert docs.url == f"{app_url}{DOCS_PATH}"
        # (the Streamlit page itself may ask Google Fonts for an icon: not the Data Docs' concern here)
        from_docs = [url for asking, url in elsewhere if asking is docs]
        assert from_docs == [], f"the Data Docs asked other hosts for {from_docs}"
    finally:
        context.close()
