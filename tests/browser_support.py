"""Shared by the browser tests: Debian's Chromium flags and a browser, a real `streamlit run` server on a
free port, the labels of a language, and the internal app's sign-in with the demo account.

Playwright is imported inside the functions: a test module skips itself when it is not installed
(``pytest.importorskip``) before anything here needs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 60_000
#: dashboards/users.demo.toml: the national (ministry) demo account (README)
DEMO_USER, DEMO_PASSWORD = "ministere", "ministere-demo"
PASSWORD_INPUT = 'input[type="password"]'
SUBMIT_BUTTON = '[data-testid="stFormSubmitButton"] button'


def labels(lang: str) -> dict[str, str]:
    """Every label of one language, read from the catalogs: ``<lang>.json`` and each
    ``<section>.<lang>.json`` of dashboards/i18n/."""
    folder = REPO_ROOT / "dashboards" / "i18n"
    data: dict[str, str] = {}
    for path in (folder / f"{lang}.json", *folder.glob(f"*.{lang}.json")):
        data.update(json.loads(path.read_text(encoding="utf-8")))
    return data


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium under Playwright; always closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def fill_sign_in(page: Page, user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> None:
    """Wait for the internal app's sign-in form and type the account in (not submitted)."""
    page.wait_for_selector(PASSWORD_INPUT, timeout=RENDER_TIMEOUT_MS)
    page.locator('input[type="text"]').first.fill(user)
    page.locator(PASSWORD_INPUT).fill(password)


def sign_in(page: Page, url: str | None = None, user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> None:
    """Open ``url`` (when given), fill the sign-in form and submit it."""
    if url is not None:
        page.goto(url)
    fill_sign_in(page, user, password)
    page.locator(SUBMIT_BUTTON).click()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def streamlit_server(
    app: str,
    home: Path,
    log_path: Path,
    extra_args: tuple[str, ...] = (),
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`streamlit run <app>` from the repository root with MASSAR_HOME=home; yields the base URL; always
    terminated."""
    port = port or free_port()
    env = {**os.environ, "MASSAR_HOME": str(home), **(extra_env or {})}
    command = [
        sys.executable, "-m", "streamlit", "run", app,
        "--server.headless", "true", "--server.enableStaticServing", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *extra_args,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {server.returncode}:\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"streamlit not healthy after {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()}"
                    )
                time.sleep(0.25)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)
