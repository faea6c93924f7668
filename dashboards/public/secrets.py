"""Verifying a parent access secret against the salted slow hash the source exports.

Format: ``pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>`` (the cost is read from the hash, so
the ministry can raise it without a code change). An unknown pupil code is checked against a decoy hash
of the same cost, so both failures do the same work and take the same time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 1_000
_DECOY_SALT = b"massar-decoy-salt"


def _parse(encoded: str) -> tuple[int, bytes, bytes] | None:
    try:
        algorithm, iterations, salt, digest = encoded.split("$")
        if algorithm != ALGORITHM:
            return None
        return int(iterations), base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True)
    except (ValueError, TypeError):
        return None


@functools.cache
def decoy_hash(iterations: int = DEFAULT_ITERATIONS) -> str:
    """The decoy's encoded hash, computed once per cost: an unknown code then costs one slow hash, like
    a known code with a wrong secret (not two)."""
    digest = hashlib.pbkdf2_hmac("sha256", b"decoy", _DECOY_SALT, iterations)
    salt_b64, digest_b64 = base64.b64encode(_DECOY_SALT).decode(), base64.b64encode(digest).decode()
    return f"{ALGORITHM}${iterations}${salt_b64}${digest_b64}"


def verify(secret: str, encoded: str | None, decoy_iterations: int = DEFAULT_ITERATIONS) -> bool:
    """True when ``secret`` matches ``encoded``.

    With no usable hash (unknown code) the same work is done on a decoy, and the answer is False.
    """
    parsed = _parse(encoded) if encoded else None
    known = parsed is not None
    iterations, salt, expected = parsed or _parse(decoy_hash(decoy_iterations))  # type: ignore[misc]
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8", "replace")[:256], salt, iterations)
    return hmac.compare_digest(digest, expected) and known
