"""OpenID Connect sign-in, end to end: a real OpenID provider (``oidc-provider-mock``: Authlib's server
components behind a real HTTP server) started here, the dashboards served by ``streamlit run`` in
production mode with ``[auth]`` pointing at it, and headless Chromium following the real redirects
(app → provider's authorisation page → ``/oauth2callback`` → app).

Checked: the identity's ``massar_*`` claims become the app's role and territory (a region user sees their
region only, and stays signed in across a reload), an identity without a role gets nothing, and production
mode accepts OpenID Connect as the only sign-in (no local accounts, no demo file).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, RENDER_TIMEOUT_MS, chromium, free_port, labels, streamlit_server

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[1]
playwright_sync = pytest.importorskip("playwright.sync_api")
oidc_mock = pytest.importorskip("oidc_provider_mock")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

REGION_USER = "aref04@example.ma"
NO_ROLE_USER = "visitor@example.ma"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider serves plain HTTP on loopback
    users = [
        oidc_mock.User(
            sub=REGION_USER,
            claims={
                "email": REGION_USER,
                "name": "AREF Rabat-Salé-Kénitra",
                "massar_role": "region",
                "massar_region_code": "04",
            },
        ),
        oidc_mock.User(sub=NO_ROLE_USER, claims={"email": NO_ROLE_USER}),
    ]
    with oidc_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def app_url(published_home: Path, provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("oidc")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "massar-dashboards"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    production_env = {
        "MASSAR_ENV": "production",
        **{
            f"MASSAR_{name.upper()}_KEY": secrets.token_hex(32)
            for name in ("pseudonym", "lookup", "certificate")
        },
    }
    with streamlit_server(
        "dashboards/server.py",
        published_home,
        folder / "server.log",
        extra_args=("--secrets.files", str(secrets_file)),
        port=port,
        extra_env=production_env,
    ) as base:
        yield base


def _sign_in_with_provider(url: str, subject: str) -> Iterator[object]:
    fr = labels("fr")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("button", name=fr["login.oidc"]).click(timeout=RENDER_TIMEOUT_MS)
        # the provider's own authorisation page, over real HTTP
        page.wait_for_url("**/oauth2/authorize**", timeout=RENDER_TIMEOUT_MS)
        page.get_by_role("button", name=subject).click()
        page.wait_for_url(f"{url}/**", timeout=RENDER_TIMEOUT_MS)
        yield page


def test_oidc_claims_become_role_and_territory(app_url: str) -> None:
    fr = labels("fr")
    for page in _sign_in_with_provider(app_url, REGION_USER):
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text(fr["scope.region"].format(code="04")).wait_for(timeout=RENDER_TIMEOUT_MS)
        assert fr["login.signed_in_as"].format(name="AREF Rabat-Salé-Kénitra") in sidebar.inner_text()
        assert fr["login.demo_warning"] not in page.inner_text("body")
        # no local sign-in form in production without users.toml
        assert page.locator('input[type="password"]').count() == 0
        # a reload (a new Streamlit session) keeps the sign-in: st.login's identity cookie
        page.reload()
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text(fr["scope.region"].format(code="04")).wait_for(timeout=RENDER_TIMEOUT_MS)
        assert page.get_by_role("button", name=fr["login.oidc"]).count() == 0


def test_oidc_identity_without_role_gets_nothing(app_url: str) -> None:
    fr = labels("fr")
    for page in _sign_in_with_provider(app_url, NO_ROLE_USER):
        page.get_by_text(fr["login.oidc_no_role"]).wait_for(timeout=RENDER_TIMEOUT_MS)
        assert page.locator('[data-testid="stSidebar"]').count() == 0 or fr["scope.region"].split("{")[
            0
        ] not in (page.locator('[data-testid="stSidebar"]').inner_text())
        assert page.locator(".js-plotly-plot").count() == 0
