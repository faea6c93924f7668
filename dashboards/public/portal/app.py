"""The parent portal: the parent lookup and certificate verification as plain server-rendered pages.

Starlette + Jinja2, no websocket, no JavaScript: a form posts the pupil code and the parent secret and
the answer is one HTML page. Every request is independent (no server-side session), so the portal scales
by worker processes (``dashboards.public.portal.server``); they share the read-only lookup store and the
throttle's SQLite file.

Routes (``<lang>`` is ``fr`` or ``ar``):

- ``GET /<lang>/`` the lookup form; ``POST /<lang>/lookup`` the answer (or the same refusal for any wrong
  code or secret; 429 with ``Retry-After`` while throttled);
- ``GET /<lang>/certificate?t=<token>`` the certificate PDF, for the browser that did the lookup only
  (token signed, 15 minutes, bound to that browser's cookie); built on demand, cached per process;
- ``GET /<lang>/bulletin?t=<token>&semester=<n>`` the semester report card PDF
  (``dashboards.public.bulletin``), in the page's language, under the same token;
- ``GET|POST /<lang>/verify`` verify a certificate or a report card: Massar code, issue date and
  verification code (the code tells which document it is).

The client address is the socket's, or the one a trusted proxy forwarded (uvicorn's proxy-headers
setting, enabled by the server only for ``MASSAR_TRUSTED_PROXIES``): the app never reads the header.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

from babel.dates import format_date, get_day_names
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dashboards.i18n import LANGS, RTL_LANGS, t
from dashboards.public import bulletin
from dashboards.public.certificate import certificate_pdf, code_matches
from dashboards.public.guard import Guard
from dashboards.public.lookup import CODE_RE, lookup
from dashboards.public.portal import tokens
from dashboards.public.store import PupilCard, ServingStore, open_lookup_store, state_path, store_path

HERE = Path(__file__).resolve().parent
LOCALES = {"fr": "fr_MA", "ar": "ar_MA"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@functools.cache
def _store() -> ServingStore:
    return open_lookup_store()


@functools.cache
def _guard() -> Guard:
    return Guard(state_path())


def _lang(request: Request) -> str:
    lang = request.path_params.get("lang", "fr")
    if lang not in LANGS:
        raise HTTPException(404)
    return lang


def mark(value: object, lang: str) -> str:
    """A mark out of 20 with two decimals, in the language's number format ("–" when missing)."""
    if value is None:
        return "–"
    return f"{format_decimal(float(value), '0.00', locale=LOCALES[lang])}/20"


def day(value: object, lang: str) -> str:
    """A date without time part (dd/mm/yyyy)."""
    if value is None:
        return "–"
    if not isinstance(value, date):
        value = date.fromisoformat(str(value)[:10])
    return format_date(value, "dd/MM/yyyy", locale=LOCALES[lang])


def text(value: object) -> str:
    return "–" if value is None or value == "" else str(value)


def _page(template: str, request: Request, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    other = "ar" if lang == "fr" else "fr"
    html = _env.get_template(template).render(
        lang=lang,
        dir="rtl" if lang in RTL_LANGS else "ltr",
        other=other,
        t=lambda key, **kw: t(key, lang, **kw),
        t_in=t,
        mark=lambda v: mark(v, lang),
        day=lambda v: day(v, lang),
        text=text,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _timetable_grid(card: PupilCard, lang: str) -> dict[str, Any]:
    """Days (columns) × sessions (rows) of the class's week."""
    rows = card.timetable.to_dicts()
    days = sorted({1, 2, 3, 4, 5, 6} | {int(r["weekday"]) for r in rows})  # Monday to Saturday
    sessions = sorted({int(r["session_number"]) for r in rows})
    names = get_day_names("wide", locale=LOCALES[lang])
    cells = {(int(r["weekday"]), int(r["session_number"])): r.get(f"subject_{lang}") for r in rows}
    return {
        "days": [(d, names[d - 1]) for d in days],
        "sessions": sessions,
        "cell": lambda d, s: cells.get((d, s)),
    }


def _grades(card: PupilCard, lang: str) -> list[dict[str, Any]]:
    """One row per subject, a column per semester; the semester's rank in class with the class size."""
    rows = card.subject_results.to_dicts()
    subjects: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = subjects.setdefault(
            str(r["subject_code"]), {"subject": r.get(f"subject_{lang}"), "marks": {}}
        )
        entry["marks"][int(r["semester"])] = r.get("average")
    return list(subjects.values())


def _ranks(card: PupilCard) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for r in card.subject_results.to_dicts():
        seen.setdefault(
            int(r["semester"]),
            {
                "semester": int(r["semester"]),
                "general_average": r.get("general_average"),
                "rank": r.get("rank_in_class"),
                "size": r.get("class_size"),
            },
        )
    return [seen[k] for k in sorted(seen)]


async def home(request: Request) -> Response:
    return RedirectResponse("/fr/", status_code=303)


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


def form(request: Request) -> Response:
    lang = _lang(request)
    return _page("lookup.html", request, lang, available=store_path().exists())


MAX_FORM_BYTES = 4096


async def _small_form(request: Request) -> Any:
    """The posted form, refused (413) beyond ``MAX_FORM_BYTES``: the forms hold three short fields."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413)
    return await request.form()


async def do_lookup(request: Request) -> Response:
    lang = _lang(request)
    data = await _small_form(request)
    code = str(data.get("code", ""))[:64]
    secret = str(data.get("secret", ""))[:128]
    return await _answer(request, lang, code, secret)


async def _answer(request: Request, lang: str, code: str, secret: str) -> Response:
    if not store_path().exists():
        return _page("lookup.html", request, lang, status=503, available=False)
    client = request.client.host if request.client else "unknown"
    device, codes = tokens.known(request.cookies.get(tokens.KNOWN_COOKIE))
    device = device if code.strip().upper() in codes else ""
    result = await run_in_threadpool(lookup, code, secret, client, _store(), _guard(), device)
    if result.card is None:
        minutes = max(1, int(result.retry_after // 60 + (1 if result.retry_after % 60 else 0)))
        key = {"locked": "portal.locked", "throttled": "portal.throttled"}.get(
            result.outcome, "lookup.denied"
        )
        status = 429 if result.outcome in ("locked", "throttled") else 200
        response = _page(
            "lookup.html",
            request,
            lang,
            status=status,
            available=True,
            error=t(key, lang, minutes=minutes),
            code=code if CODE_RE.fullmatch(code.strip().upper()) else "",
        )
        if status == 429:
            response.headers["Retry-After"] = str(max(1, int(result.retry_after + 0.999)))
        return response
    card = result.card
    p = card.pupil
    session = request.cookies.get(tokens.SESSION_COOKIE) or tokens.new_session()
    issued = date.today()
    signed = {
        other: tokens.sign({"c": str(p["student_code"]), "l": other, "d": issued.isoformat()}, session)
        for other in LANGS
    }
    token = signed[lang]
    response = _page(
        "result.html",
        request,
        lang,
        p=p,
        name=f"{text(p.get(f'first_name_{lang}'))} {text(p.get(f'last_name_{lang}'))}",
        grades=_grades(card, lang),
        ranks=_ranks(card),
        absences=card.absences.to_dicts(),
        exams=card.exams.to_dicts(),
        calendar=card.exam_calendar.to_dicts(),
        grid=_timetable_grid(card, lang),
        semesters=sorted({int(s) for s in card.subject_results["semester"].to_list()}) or [1, 2],
        bulletins=sorted({int(s) for s in card.subject_results["semester"].to_list()}),
        certificate_token=token,
        bulletin_tokens=signed,
    )
    response.set_cookie(
        tokens.KNOWN_COOKIE,
        tokens.remember(request.cookies.get(tokens.KNOWN_COOKIE), str(p["student_code"])),
        max_age=tokens.KNOWN_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.set_cookie(
        tokens.SESSION_COOKIE,
        session,
        max_age=tokens.TOKEN_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@functools.lru_cache(maxsize=512)
def _pdf(pupil_json: str, issued: str, lang: str) -> bytes:
    return certificate_pdf(json.loads(pupil_json), date.fromisoformat(issued), lang)


async def certificate(request: Request) -> Response:
    lang = _lang(request)
    fields = tokens.open_token(request.query_params.get("t", ""), request.cookies.get(tokens.SESSION_COOKIE))
    if fields is None or fields.get("l") != lang:
        return _page("expired.html", request, lang, status=403)
    card = await run_in_threadpool(_store().card, fields["c"])
    if card is None:
        return _page("expired.html", request, lang, status=403)
    pupil = {k: v for k, v in card.pupil.items() if isinstance(v, str | int | float) or v is None}
    body = await run_in_threadpool(_pdf, json.dumps(pupil, sort_keys=True, default=str), fields["d"], lang)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="attestation_{fields["c"]}.pdf"',
            "Cache-Control": "private, no-store",
            **SECURITY_HEADERS,
        },
    )


@functools.lru_cache(maxsize=512)
def _bulletin_pdf(data_json: str, issued: str, lang: str) -> bytes:
    return bulletin.bulletin_pdf(json.loads(data_json), date.fromisoformat(issued), lang)


async def report_card(request: Request) -> Response:
    """A semester's report card, for the browser that did the lookup (the certificate's token)."""
    lang = _lang(request)
    fields = tokens.open_token(request.query_params.get("t", ""), request.cookies.get(tokens.SESSION_COOKIE))
    semester = request.query_params.get("semester", "")
    if fields is None or fields.get("l") != lang or semester not in {str(s) for s in bulletin.SEMESTERS}:
        return _page("expired.html", request, lang, status=403)
    card = await run_in_threadpool(_store().card, fields["c"])
    data = bulletin.bulletin_data(card, int(semester)) if card is not None else None
    if data is None:
        return _page("expired.html", request, lang, status=403)
    data_json = json.dumps(data, sort_keys=True, default=str)
    body = await run_in_threadpool(_bulletin_pdf, data_json, fields["d"], lang)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="bulletin_{fields["c"]}_S{semester}_{lang}.pdf"',
            "Cache-Control": "private, no-store",
            **SECURITY_HEADERS,
        },
    )


def verify_form(request: Request) -> Response:
    return _page("verify.html", request, _lang(request))


async def do_verify(request: Request) -> Response:
    lang = _lang(request)
    data = await _small_form(request)
    code = str(data.get("code", ""))[:32].strip().upper()
    typed = str(data.get("verification", ""))[:64]
    try:
        issued = date.fromisoformat(str(data.get("issued", ""))[:10])
    except ValueError:
        issued = None
    client = request.client.host if request.client else "unknown"
    guard = _guard()
    verdict = await run_in_threadpool(guard.check, f"cert:{code}", client)
    if not verdict.allowed:
        await run_in_threadpool(guard.record, f"cert:{code}", client, verdict.reason or "throttled")
        return _page(
            "verify.html",
            request,
            lang,
            status=429,
            error=t("portal.throttled", lang, minutes=1 + int(verdict.retry_after // 60)),
        )
    well_formed = bool(CODE_RE.fullmatch(code)) and issued is not None
    card = await run_in_threadpool(_store().card, code) if well_formed else None
    pupil = card.pupil if card is not None else None
    is_certificate = code_matches(pupil, issued or date.min, typed) and well_formed
    # the same work for any code: the certificate's HMAC, then one per semester's report card
    semester = bulletin.matching_semester(card, issued or date.min, bulletin.normalise(typed))
    valid = (is_certificate or semester is not None) and well_formed
    await run_in_threadpool(guard.record, f"cert:{code}", client, "ok" if valid else "denied")
    report = bulletin.bulletin_data(card, semester) if valid and card and semester else None
    return _page(
        "verify.html",
        request,
        lang,
        checked=True,
        valid=valid,
        report=report,
        p=pupil if valid else None,
        issued=issued if valid else None,
        name=(
            f"{pupil.get(f'first_name_{lang}')} {pupil.get(f'last_name_{lang}')}" if valid and pupil else ""
        ),
    )


def create_app() -> Starlette:
    routes = [
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Route("/", home),
        Route("/healthz", health),
        Route("/{lang:str}/", form, methods=["GET"]),
        Route("/{lang:str}/lookup", do_lookup, methods=["POST"]),
        Route("/{lang:str}/certificate", certificate, methods=["GET"]),
        Route("/{lang:str}/bulletin", report_card, methods=["GET"]),
        Route("/{lang:str}/verify", verify_form, methods=["GET"]),
        Route("/{lang:str}/verify", do_verify, methods=["POST"]),
    ]
    return Starlette(routes=routes)


app = create_app()
