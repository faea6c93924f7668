"""The quality gate's Data Docs work offline and are served by the dashboards' route to national accounts.

The session pipeline's gate (tests/conftest.py) wrote the Data Docs with the project's offline site
(``expectations.data_docs``). Checked here, on every generated HTML file, independently of GX's templates:
no script, no stylesheet, image, font or frame from another host; every local file a page references
exists; the index lists every validation page the site holds. Then the route
(``dashboards.data_docs``, the Starlette route ``dashboards/server.py`` mounts) through a test client: a
request without a cookie, with a forged or revoked one, or from a regional account is refused; a national
account gets the files; a path outside the site is not served.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from dashboards import data_docs, sessions
from expectations.data_docs import site_config

# attributes that make a browser fetch something (a plain <a href> is a link the reader may follow)
FETCHING = {("script", "src"), ("img", "src"), ("link", "href"), ("iframe", "src"), ("source", "src")}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.links: list[str] = []
        self.scripts = 0
        self.rows_linked: list[str] = []
        self._in_row = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts += 1
        for name, value in values.items():
            if (tag, name) in FETCHING or (name == "src"):
                self.fetched.append(value)
            elif tag == "a" and name == "href":
                self.links.append(value)
                if self._in_row:
                    self.rows_linked.append(value)
            elif name == "style" and "url(" in value:
                self.fetched.append(value)
        if tag == "tr":
            self._in_row = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._in_row = False


def _parse(path: Path) -> _Refs:
    refs = _Refs()
    refs.feed(path.read_text(encoding="utf-8"))
    return refs


def _local_target(page: Path, ref: str) -> Path | None:
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:  # another host, or an anchor on the page
        return None
    return (page.parent / unquote(parts.path)).resolve()


@pytest.fixture(scope="module")
def site(pipeline_home: Path) -> Path:
    root = pipeline_home / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    assert (root / "index.html").is_file(), "the session pipeline's gate wrote the Data Docs"
    return root


def test_pages_fetch_nothing_from_another_host(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 3, pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        refs = _parse(page)
        assert refs.scripts == 0, f"{page}: a script (the pages render without one)"
        for ref in refs.fetched:
            assert "//" not in ref, f"{page}: fetches {ref!r} from another host"
        assert "@import" not in html and "url(http" not in html.replace(" ", ""), page
        for ref in refs.fetched + refs.links:
            target = _local_target(page, ref)
            if target is not None:
                assert target.is_file(), f"{page}: {ref!r} names a missing file"
                assert target.is_relative_to(site.resolve()), f"{page}: {ref!r} leaves the site"


def test_index_lists_every_validation_page(site: Path) -> None:
    refs = _parse(site / "index.html")
    listed = {(site / ref).resolve() for ref in refs.rows_linked if ref.startswith("validations/")}
    on_disk = {p.resolve() for p in (site / "validations").rglob("*.html")}
    assert on_disk, "the gate validated at least one suite"
    assert listed == on_disk


def test_gate_installs_the_offline_site(pipeline_home: Path) -> None:
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(pipeline_home / "gx"))
    assert context.list_data_docs_sites()["local_site"] == site_config()


# --- the route -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(site: Path):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    assert data_docs.site_root() == site
    with TestClient(Starlette(routes=data_docs.routes())) as test_client:
        yield test_client


def _cookie_for(username: str) -> str:
    ticket = sessions.begin(username, "browser")
    value = sessions.redeem(ticket, "browser")
    assert value is not None
    return value


def _get(client, path: str, cookie: str | None = None):
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set(sessions.COOKIE_NAME, cookie)
    return client.get(f"{data_docs.ROUTE_PREFIX}/{path}")


def test_route_serves_a_national_account(client, site: Path) -> None:
    cookie = _cookie_for("ministere")
    response = _get(client, "index.html", cookie)
    assert response.status_code == 200
    assert response.content == (site / "index.html").read_bytes()
    assert response.headers["content-type"].startswith("text/html")
    page = next((site / "validations").rglob("*.html"))
    assert _get(client, page.relative_to(site).as_posix(), cookie).content == page.read_bytes()
    # nothing outside the site's folder (the GX project's config sits three folders up)
    for path in ("..%2F..%2F..%2Fgreat_expectations.yml", "%2E%2E/%2E%2E/%2E%2E/great_expectations.yml"):
        assert _get(client, path, cookie).status_code == 404
    assert _get(client, "no-such-page.html", cookie).status_code == 404
    assert (site / "../../../great_expectations.yml").resolve().is_file()
    assert data_docs.resolve("../../../great_expectations.yml") is None
    assert data_docs.resolve("static/../index.html") == (site / "index.html").resolve()


def test_route_refuses_without_a_valid_session(client) -> None:
    assert _get(client, "index.html").status_code == 403
    forged = _cookie_for("ministere")
    head, _, signature = forged.rpartition(".")
    assert _get(client, "index.html", f"{head}.{signature[::-1]}").status_code == 403
    ended = _cookie_for("ministere")
    sessions.revoke_cookie(ended)
    assert _get(client, "index.html", ended).status_code == 403
    # the Data Docs are not filtered by territory: a regional account is refused
    assert _get(client, "index.html", _cookie_for("aref_rsk")).status_code == 403
