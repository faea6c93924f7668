"""Signed tokens of the portal, checked by any worker process (nothing is stored on the server).

A token is ``<payload b64url>.<HMAC-SHA-256 b64url>`` under ``server_key("portal")``.

- Certificate link (15 minutes): the pupil code, the language, the issue date, the expiry and a digest
  of the browser's session cookie (random, set by the lookup answer), so the link works for that
  browser only.
- Known browser (cookie ``massar_known``, 180 days): a random browser id and the codes this browser
  signed in to. Its attempts on those codes get a throttle bucket of their own
  (``dashboards.public.guard``): someone hammering the child's code elsewhere does not keep the parent
  waiting.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import time

from massar.settings.hashing import hmac_sha256
from massar.settings.keys import env_name, key_path, server_key

KEY_NAME = "portal"
SESSION_COOKIE = "massar_portal"
TOKEN_SECONDS = 15 * 60
KNOWN_COOKIE = "massar_known"
KNOWN_SECONDS = 180 * 24 * 3600
KNOWN_CODES = 6


@functools.cache
def _key(_env: str, _path: str) -> bytes:
    return server_key(KEY_NAME)


def portal_key() -> bytes:
    return _key(os.environ.get(env_name(KEY_NAME), ""), str(key_path(KEY_NAME)))


def new_session() -> str:
    return secrets.token_urlsafe(24)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _session_digest(session: str) -> str:
    return hashlib.sha256(session.encode()).hexdigest()[:32]


def sign(fields: dict[str, str], session: str, now: float | None = None) -> str:
    payload = dict(fields, s=_session_digest(session), e=int((now or time.time()) + TOKEN_SECONDS))
    body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
    mac = _b64(hmac_sha256(portal_key(), body.encode()))
    return f"{body}.{mac}"


def open_token(token: str, session: str | None, now: float | None = None) -> dict[str, str] | None:
    """The token's fields when it is genuine, unexpired and bound to ``session``; else None."""
    try:
        body, mac = (token or "").split(".", 1)
        expected = _b64(hmac_sha256(portal_key(), body.encode()))
        if not hmac.compare_digest(mac, expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not session or not hmac.compare_digest(str(payload.get("s", "")), _session_digest(session)):
        return None
    if int(payload.get("e", 0)) < (now or time.time()):
        return None
    return {k: str(v) for k, v in payload.items() if k not in ("s", "e")}


def _seal(payload: dict[str, object]) -> str:
    body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac_sha256(portal_key(), b'known:' + body.encode()))}"


def known(value: str | None, now: float | None = None) -> tuple[str, list[str]]:
    """(browser id, codes) of a genuine, unexpired known-browser cookie; ("", []) otherwise."""
    try:
        body, mac = (value or "").split(".", 1)
        expected = _b64(hmac_sha256(portal_key(), b"known:" + body.encode()))
        if not hmac.compare_digest(mac, expected):
            return "", []
        payload = json.loads(_unb64(body))
        if int(payload["e"]) < (now or time.time()):
            return "", []
        return str(payload["d"]), [str(c) for c in payload["c"]][:KNOWN_CODES]
    except (ValueError, TypeError, KeyError):
        return "", []


def remember(value: str | None, code: str, now: float | None = None) -> str:
    """The known-browser cookie with ``code`` added (the most recent ``KNOWN_CODES`` codes)."""
    device, codes = known(value, now)
    codes = [code, *(c for c in codes if c != code)][:KNOWN_CODES]
    return _seal(
        {"d": device or secrets.token_urlsafe(12), "c": codes, "e": int((now or time.time()) + KNOWN_SECONDS)}
    )
