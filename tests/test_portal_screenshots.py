"""The parent portal on a phone (390 × 844, as an iPhone 12–15 shows it) and on a desktop, in French and
Arabic, in headless Chromium on the warehouse the real pipeline published.

Every page a parent sees (the lookup form, the refused answer, a pupil's answer with the most rows, the
certificate check) must fit the screen's width: no horizontal scroll of the document
(``document.scrollingElement.scrollWidth <= innerWidth``), and the language switch must be visible in the
first screen without opening any menu. Screenshots go under the test's tmp dir (or
``$MASSAR_SCREENSHOTS_DIR`` when set).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from browser_support import CHROMIUM, RENDER_TIMEOUT_MS, chromium
from lookup_fixtures import published_store
from portal_support import demo_secrets, portal_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

#: (name, viewport, mobile): a phone as its browser lays pages out (meta viewport honoured), a desktop
SCREENS = {
    "phone": ({"width": 390, "height": 844}, True),
    "desktop": ({"width": 1280, "height": 900}, False),
}
LANGS = ("fr", "ar")
UNKNOWN_CODE = "Z999999999"


def fullest_pupil(home: Path) -> tuple[str, str]:
    """The pupil with a demo secret whose answer has the most rows (exams, absences, exam calendar,
    grades): the widest and longest tables a parent can get. Read independently of the portal."""
    secrets = demo_secrets(home)
    store = published_store(home, "parent_lookup.duckdb")
    with duckdb.connect(str(store), read_only=True) as con:
        ranked = con.execute(
            "select student_code from lookup.card order by len(exams) desc, len(exam_calendar) desc, "
            "len(absences) desc, len(subject_results) desc, student_code"
        ).fetchall()
    for (code,) in ranked:
        if code in secrets:
            return code, secrets[code]
    raise AssertionError("no pupil of the serving store has a demo secret")


@pytest.fixture(scope="module")
def portal(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("portal_screens") / "portal.log"
    # four right answers for one pupil (one per screen and language): more than a code's free attempts
    with portal_server(pipeline_home, log_path, MASSAR_LOOKUP_CODE_FREE="100") as base:
        yield base


@pytest.fixture(scope="module")
def browser(portal: str) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("MASSAR_SCREENSHOTS_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("portal_shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_layout(page: Page, lang: str, what: str) -> None:
    """No horizontal scroll; the other language's link visible in the first screen, not in a menu; nothing
    wider than the screen (a table too wide for a phone scrolls inside its own box, which fits)."""
    screen = page.viewport_size
    assert screen is not None
    width, scroll_width = page.evaluate("[innerWidth, document.scrollingElement.scrollWidth]")
    # a phone's browser zooms out of a page wider than the screen: its layout width would grow with it
    assert width == screen["width"], f"{what}: laid out {width} px wide on a {screen['width']} px screen"
    assert scroll_width <= width, f"{what}: the page scrolls sideways ({scroll_width} px > {width} px)"
    other = "ar" if lang == "fr" else "fr"
    switch = page.locator(f'header a[hreflang="{other}"]')
    assert switch.count() == 1 and switch.is_visible(), f"{what}: no visible language switch"
    box = switch.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (what, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= screen["height"], (what, box)
    wide = page.evaluate(
        """(w) => Array.from(document.querySelectorAll('main *')).filter((e) => {
                const r = e.getBoundingClientRect();
                if (r.width === 0 || (r.left >= -1 && r.right <= w + 1)) return false;
                // inside a box that scrolls sideways and fits the screen: reachable by scrolling that box
                for (let p = e.parentElement; p; p = p.parentElement) {
                    const b = p.getBoundingClientRect();
                    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(p).overflowX);
                    if (scrolls && b.left >= -1 && b.right <= w + 1) return false;
                }
                return true;
            }).map((e) => e.tagName + (e.className ? '.' + e.className : ''))""",
        width,
    )
    assert not wide, f"{what}: elements wider than the screen: {wide[:5]}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_portal_fits_the_screen(
    pipeline_home: Path, portal: str, browser: Browser, shots_dir: Path, screen: str, lang: str
) -> None:
    viewport, mobile = SCREENS[screen]
    code, secret = fullest_pupil(pipeline_home)
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    try:

        def shoot(name: str) -> None:
            what = f"{name} ({lang}, {screen})"
            page.screenshot(path=str(shots_dir / f"portal_{name}_{lang}_{screen}.png"), full_page=True)
            check_layout(page, lang, what)

        page.goto(f"{portal}/{lang}/")
        page.wait_for_selector("#code", timeout=RENDER_TIMEOUT_MS)
        shoot("lookup")
        page.fill("#code", UNKNOWN_CODE)  # a code of nobody: no attempt counted against the pupil's code
        page.fill("#secret", "DEFINITELYWRONG")
        page.click("button[type=submit]")
        page.wait_for_selector("p.error", timeout=RENDER_TIMEOUT_MS)
        shoot("refused")
        page.fill("#code", code)
        page.fill("#secret", secret)
        page.click("button[type=submit]")
        page.wait_for_selector("p.certificate", timeout=RENDER_TIMEOUT_MS)
        shoot("result")
        page.goto(f"{portal}/{lang}/verify")
        page.wait_for_selector("form", timeout=RENDER_TIMEOUT_MS)
        shoot("verify")
    finally:
        context.close()
