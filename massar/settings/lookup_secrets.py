"""The stored form of a parent access secret: HMAC-SHA-256 under the server's lookup key.

``hmac_sha256$<hex>`` = HMAC-SHA-256(``server_key("lookup")``, pupil code NUL normalised secret). The
serving-store builder (``warehouse.serving``) computes it from the source's restricted delivery of the
secrets (``exports/<school_year>/parent_secrets.csv``, ``student_code;secret``); the parent lookup
(``dashboards.public.secrets``) computes the same value from what a parent typed and compares. The key is
generated into ``$MASSAR_HOME/keys`` at first use (``massar.settings.keys``): the store alone does not allow
an offline search of the secrets, and rotating the key means rebuilding the store.

Why not the exported PBKDF2 hash: verifying a slow hash on every attempt costs what the hash costs
(600,000 iterations: about 0.3 CPU-s), which a results day cannot pay, and equal timing for unknown
codes then depends on the decoy having the stored cost. A keyed HMAC of a random secret of at least 60
bits is as strong against guessing (the throttle bounds the attempts) and costs microseconds.
"""

from __future__ import annotations

import functools
import os

from massar.settings.hashing import hmac_sha256
from massar.settings.keys import env_name, key_path, server_key

PREFIX = "hmac_sha256$"
KEY_NAME = "lookup"
MAX_SECRET_LENGTH = 64
MAC_LENGTH = len(PREFIX) + 64


def normalise(secret: str) -> str:
    """A secret as issued: upper case, without the spaces or hyphens of its printed groups
    (``ABCD-EFGH-JKLM``), at most ``MAX_SECRET_LENGTH`` characters."""
    kept = "".join(ch for ch in (secret or "")[: MAX_SECRET_LENGTH * 2] if ch not in " -\t")
    return kept.upper()[:MAX_SECRET_LENGTH]


@functools.cache
def _key(_env: str, _path: str) -> bytes:
    return server_key(KEY_NAME)


def lookup_key() -> bytes:
    """The lookup key of this server (read once per process and key location)."""
    return _key(os.environ.get(env_name(KEY_NAME), ""), str(key_path(KEY_NAME)))


def secret_mac(code: str, secret: str, key: bytes | None = None) -> str:
    """The stored form of ``secret`` for pupil ``code``."""
    message = code.encode("utf-8", "replace") + b"\x00" + normalise(secret).encode("utf-8", "replace")
    return PREFIX + hmac_sha256(key or lookup_key(), message).hex()
