"""One lookup: code + secret → the pupil's card, or the same refusal for every failure.

Unknown code, wrong secret and malformed input all get the same answer ("denied"), after the same work
(one store query and one slow-hash verification). Locked codes and throttled clients get their own
message, decided before any secret is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dashboards.public.guard import Guard, Outcome
from dashboards.public.secrets import verify
from dashboards.public.store import PupilCard, ServingStore

CODE_RE = re.compile(r"^[A-Z][0-9]{9}$")
MAX_SECRET_LENGTH = 64


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    card: PupilCard | None = None


def lookup(code: str, secret: str, client: str, store: ServingStore, guard: Guard) -> LookupResult:
    code = (code or "").strip().upper()[:32]
    secret = secret or ""
    verdict = guard.check(code, client)
    if not verdict.allowed:
        guard.record(code, client, verdict.reason or "throttled")
        return LookupResult(verdict.reason or "throttled")
    well_formed = bool(CODE_RE.fullmatch(code)) and 0 < len(secret) <= MAX_SECRET_LENGTH
    encoded = store.secret_hash(code) if well_formed else None
    ok = verify(secret[:MAX_SECRET_LENGTH], encoded) and well_formed
    card = store.card(code) if ok else None
    outcome: Outcome = "ok" if card is not None else ("denied" if well_formed else "invalid")
    guard.record(code, client, outcome)
    return LookupResult(outcome, card)
