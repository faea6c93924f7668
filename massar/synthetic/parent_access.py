"""Parent access secrets: a secret per pupil, exported only as a salted PBKDF2 hash.

The pupils export carries ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` (the
``hashlib.pbkdf2_hmac`` of the secret, SHA-256, 32-byte key). Secret and salt are derived from the
seed and the pupil code, so the same seed gives byte-identical files, and a pupil keeps the same
secret year after year.

Cost: the synthetic source uses :data:`ITERATIONS` = 100. Measured here, 1,000 iterations cost 0.2 to
0.6 ms a pupil (2 shared cores), i.e. 4 to 10 minutes per million pupils, more than all the rest of the
generation; 100 keeps hashing to about a tenth of that. A production Massar would use a far higher cost
(OWASP suggests 600,000 for PBKDF2-HMAC-SHA256): the parent lookup must verify with whatever iteration
count the hash states (see :func:`verify`), so both coexist. The plain secrets go to
``exports/<school_year>/parent_secrets.csv`` (demo only; never read by the ingestion).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor

ITERATIONS = 100
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
SECRET_LENGTH = 10
_WORKERS = 2


def _derive(seed: int, student_code: str, purpose: bytes) -> bytes:
    return hmac.new(str(seed).encode(), purpose + b":" + student_code.encode(), hashlib.sha256).digest()


def secret_of(seed: int, student_code: str) -> str:
    raw = _derive(seed, student_code, b"secret")
    return "".join(SECRET_ALPHABET[b % len(SECRET_ALPHABET)] for b in raw[:SECRET_LENGTH])


def hash_secret(secret: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    key = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    return "$".join(
        ("pbkdf2_sha256", str(iterations), base64.b64encode(salt).decode(), base64.b64encode(key).decode())
    )


def verify(secret: str, stored: str) -> bool:
    """Check ``secret`` against a stored hash, with the iteration count the hash states."""
    algorithm, iterations, salt, key = stored.split("$")
    if algorithm != "pbkdf2_sha256":
        return False
    computed = hashlib.pbkdf2_hmac("sha256", secret.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(computed, base64.b64decode(key))


def _chunk(seed: int, codes: list[str], iterations: int) -> list[tuple[str, str]]:
    out = []
    for code in codes:
        secret = secret_of(seed, code)
        out.append((secret, hash_secret(secret, _derive(seed, code, b"salt")[:16], iterations)))
    return out


def secrets_and_hashes(
    seed: int, student_codes: list[str], iterations: int = ITERATIONS
) -> tuple[list[str], list[str]]:
    """(secrets, hashes) of the pupils, in order (PBKDF2 releases the GIL: two threads)."""
    step = max(1, -(-len(student_codes) // _WORKERS))
    chunks = [student_codes[i : i + step] for i in range(0, len(student_codes), step)]
    with ThreadPoolExecutor(_WORKERS) as pool:
        pairs = [p for part in pool.map(lambda c: _chunk(seed, c, iterations), chunks) for p in part]
    return [s for s, _ in pairs], [h for _, h in pairs]
