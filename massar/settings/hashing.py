"""PBKDF2 and HMAC hashing, defined once: every layer that hashes a secret or signs a message calls this
module (a leaf: the standard library only).

- :func:`hmac_sha256`: HMAC-SHA-256 of a message under a key (the lookup secrets' stored form, the
  certificates' and bulletins' verification codes, the portal's tokens, the session cookies, the synthetic
  source's per-pupil secret material).
- :func:`pbkdf2_sha256` / :func:`pbkdf2_verify`: the salted slow hash
  ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` (``hashlib.pbkdf2_hmac``, SHA-256, 32-byte key):
  the parent secrets' hash in the pupils export (written by the synthetic source, checked against
  :data:`PBKDF2_PATTERN` by the pupils contract) and the legacy password hashes of ``users.toml``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

PBKDF2_ALGORITHM: Final[str] = "pbkdf2_sha256"
#: The stored form of a PBKDF2 hash, as a regular expression (the pupils contract's column pattern).
PBKDF2_PATTERN: Final[str] = r"^pbkdf2_sha256\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$"


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA-256 of ``message`` under ``key`` (32 bytes)."""
    return hmac.new(key, message, hashlib.sha256).digest()


def pbkdf2_sha256(secret: str, salt: bytes, iterations: int) -> str:
    """The stored form ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` of ``secret``."""
    key = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    encoded_salt, encoded_key = base64.b64encode(salt).decode(), base64.b64encode(key).decode()
    return f"{PBKDF2_ALGORITHM}${iterations}${encoded_salt}${encoded_key}"


def pbkdf2_verify(secret: str, stored: str, min_iterations: int = 1) -> bool:
    """Check ``secret`` against a stored PBKDF2 hash, with the iteration count the hash states, in constant
    time. False for another format, a malformed string, or fewer iterations than ``min_iterations``."""
    try:
        algorithm, iterations, salt, expected = stored.split("$")
        if algorithm != PBKDF2_ALGORITHM or int(iterations) < min_iterations:
            return False
        computed = hashlib.pbkdf2_hmac("sha256", secret.encode(), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(computed, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False
