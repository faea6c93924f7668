"""Verifying a parent access secret: one HMAC-SHA-256 under the server's lookup key, in constant time.

The serving store keeps, per pupil, the secret's MAC (``massar.settings.lookup_secrets``), computed by the
store builder. Cheap and equal by construction: :func:`verify` computes exactly one HMAC of what the caller
typed and compares it with ``compare_digest`` against a string of the same length: the stored MAC for a
known code, a fixed decoy for an unknown code (or a pupil without a secret). Nothing before the
comparison depends on whether the code exists.
"""

from __future__ import annotations

import hmac

from massar.settings.lookup_secrets import (
    MAC_LENGTH,
    MAX_SECRET_LENGTH,
    PREFIX,
    lookup_key,
    normalise,
    secret_mac,
)

__all__ = ["MAX_SECRET_LENGTH", "expected_mac", "lookup_key", "normalise", "secret_mac", "verify"]

_DECOY = PREFIX + "0" * (MAC_LENGTH - len(PREFIX))


def expected_mac(stored: str | None) -> tuple[str, bool]:
    """The value to compare against, and whether it is a real one: the stored MAC when well formed,
    else the decoy (same length, so the comparison costs the same)."""
    known = isinstance(stored, str) and len(stored) == MAC_LENGTH and stored.startswith(PREFIX)
    return (stored if known else _DECOY), known  # type: ignore[return-value]


def verify(code: str, secret: str, stored: str | None, key: bytes | None = None) -> bool:
    """True when ``secret`` is pupil ``code``'s secret. The same work whether ``stored`` exists or not:
    one HMAC, one constant-time comparison of equal-length strings."""
    expected, known = expected_mac(stored)
    computed = secret_mac(code, secret, key)
    return hmac.compare_digest(computed, expected) and known
