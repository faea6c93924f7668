"""The Great Expectations Data Docs, served by the internal dashboards' server at a relative path.

``/_massar/data-docs/<path>`` (mounted by ``dashboards/server.py``) serves the files of the quality gate's
Data Docs site (``$MASSAR_HOME/gx/gx/uncommitted/data_docs/local_site/``, rendered with no external asset
by ``expectations.data_docs``) to a signed-in local account of national scope: the request must carry a
live session cookie (``dashboards.sessions.check``: signature, lifetime, server-side row, idle time) whose
account still exists. The Data Docs are not filtered by territory (a validation's unexpected values come
from every region), so an account limited to a region, province or school is refused, as is a request
without a valid cookie (403). Paths are resolved inside the site's folder; anything outside is a 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from dashboards import sessions
from massar.settings import paths

ROUTE_PREFIX: Final[str] = "/_massar/data-docs"


def site_root() -> Path:
    return paths().data_docs_index.parent


def link() -> str:
    """The Data Docs' index as the data-quality page links it: a path on the dashboards' own server."""
    return f"{sessions._base_path()}{ROUTE_PREFIX}/index.html"


def allowed(cookie: str | None) -> bool:
    """Whether the request's session cookie names a live session of a national local account."""
    from dashboards.auth import local_user

    session, _ = sessions.check(cookie)
    if session is None:
        return False
    user = local_user(session.username)
    return user is not None and user.scope.is_national


def resolve(relative: str) -> Path | None:
    """The file ``relative`` names inside the site's folder; None when it is outside or missing."""
    root = site_root().resolve()
    if "\x00" in relative or "\\" in relative:
        return None
    target = (root / (relative or "index.html")).resolve()
    if not target.is_relative_to(root):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def routes() -> list:
    """The Starlette route that serves the site."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, PlainTextResponse, Response
    from starlette.routing import Route

    async def serve(request: Request) -> Response:
        if not await run_in_threadpool(allowed, request.cookies.get(sessions.COOKIE_NAME)):
            response: Response = PlainTextResponse("403 Forbidden: sign in to the dashboards", 403)
        else:
            target = await run_in_threadpool(resolve, request.path_params["path"])
            found = target is not None
            response = FileResponse(target) if found else PlainTextResponse("404 Not Found", 404)
        response.headers["Cache-Control"] = "no-store"
        return response

    return [Route(f"{sessions._base_path()}{ROUTE_PREFIX}/{{path:path}}", serve, methods=["GET", "HEAD"])]
