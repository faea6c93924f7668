"""One lookup: code + secret → the pupil's card, or the same refusal for every failure.

Unknown code, wrong secret and malformed input all get the same answer ("denied"), after the same work
(one store query and one HMAC compared in constant time, ``dashboards.public.secrets``). A throttled
client or a code in its back-off delay gets its own message, decided before any secret is checked, with
the time to wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dashboards.public.guard import Guard, Outcome
from dashboards.public.secrets import MAX_SECRET_LENGTH, verify
from dashboards.public.store import PupilCard, ServingStore

CODE_RE = re.compile(r"^[A-Z][0-9]{9}$")


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    card: PupilCard | None = None
    retry_after: float = 0.0


def lookup(
    code: str, secret: str, client: str, store: ServingStore, guard: Guard, device: str = ""
) -> LookupResult:
    """``device``: the id of a browser known to have signed in to this code before (see ``Guard.check``)."""
    code = (code or "").strip().upper()[:32]
    secret = secret or ""
    verdict = guard.check(code, client, device)
    if not verdict.allowed:
        guard.record(code, client, verdict.reason or "throttled", device)
        return LookupResult(verdict.reason or "throttled", retry_after=verdict.retry_after)
    well_formed = bool(CODE_RE.fullmatch(code)) and 0 < len(secret) <= MAX_SECRET_LENGTH
    stored = store.secret_hash(code) if well_formed else None
    ok = verify(code, secret, stored) and well_formed
    card = store.card(code) if ok else None
    outcome: Outcome = "ok" if card is not None else ("denied" if well_formed else "invalid")
    guard.record(code, client, outcome, device)
    return LookupResult(outcome, card)
