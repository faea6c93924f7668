"""The public services in headless Chromium, on the warehouse the real pipeline published: the parent
portal without JavaScript (code + secret from the synthetic source's demo secrets, certificate download)
and the public statistics app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pypdf
import pytest
from browser_support import CHROMIUM, RENDER_TIMEOUT_MS, chromium, streamlit_server
from lookup_fixtures import published_store
from portal_support import demo_secrets, portal_server

from dashboards.i18n import t

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def public_url(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("public") / "server.log"
    with streamlit_server("dashboards/public/app.py", pipeline_home, log_path) as base:
        yield base


def _a_pupil_with_secret(home: Path) -> tuple[str, str, str, str]:
    """A pupil of the serving store, with the plain demo secret the synthetic source wrote for it."""
    secrets = demo_secrets(home)
    store = published_store(home, "parent_lookup.duckdb")
    with duckdb.connect(str(store), read_only=True) as con:
        rows = con.execute(
            "select student_code, first_name_fr, last_name_fr, school_code from lookup.pupil order by 1"
        ).fetchall()
    for code, first, last, school in rows:
        if code in secrets:
            return code, secrets[code], f"{first} {last}", school
    raise AssertionError("no pupil of the serving store has a demo secret")


def test_portal_lookup_and_certificate_without_javascript(pipeline_home: Path, tmp_path: Path) -> None:
    """The parent portal in a browser with JavaScript turned off: the form posts, the answer renders,
    the certificate downloads."""
    code, secret, name, school = _a_pupil_with_secret(pipeline_home)
    with portal_server(pipeline_home, tmp_path / "portal.log") as base, chromium() as browser:
        context = browser.new_context(java_script_enabled=False, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base}/fr/")
        page.fill("#code", code)
        page.fill("#secret", "DEFINITELYWRONG")
        page.click("button[type=submit]")
        page.wait_for_selector("p.error", timeout=RENDER_TIMEOUT_MS)
        assert page.get_by_text(name).count() == 0
        page.fill("#code", code)
        page.fill("#secret", secret)
        page.click("button[type=submit]")
        page.get_by_text(name).first.wait_for(timeout=RENDER_TIMEOUT_MS)
        page.get_by_text(t("lookup.exam_calendar", "fr")).first.wait_for(timeout=RENDER_TIMEOUT_MS)
        page.screenshot(path=str(tmp_path / "parent_portal_fr.png"), full_page=True)
        with page.expect_download(timeout=RENDER_TIMEOUT_MS) as download_info:
            page.click("p.certificate a")
        pdf_path = tmp_path / "certificate.pdf"
        download_info.value.save_as(pdf_path)
    text = pypdf.PdfReader(pdf_path).pages[0].extract_text()
    assert code in text and name in text and school in text


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_public_statistics_page_renders(public_url: str, lang: str, tmp_path: Path) -> None:
    """The statistics page of the public app: its tables and the suppression rule."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{public_url}/statistics?lang={lang}")
        page.wait_for_selector('[data-testid="stTable"]', timeout=RENDER_TIMEOUT_MS)
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stTable\"]').length >= 3",
            timeout=RENDER_TIMEOUT_MS,
        )
        assert page.locator('[data-testid="stException"]').count() == 0
        rule = "0 < n < 10"
        assert page.get_by_text(rule, exact=False).count() >= 1
        if lang == "ar":
            direction = page.locator('[data-testid="stMain"]').evaluate("e => getComputedStyle(e).direction")
            assert direction == "rtl"
        page.screenshot(path=str(tmp_path / f"public_statistics_{lang}.png"), full_page=True)
