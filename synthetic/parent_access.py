"""Parent access secrets: a secret per pupil (12 symbols of 32: 60 bits, drawn from the seed), exported
as a salted PBKDF2 hash, the plain secrets in a separate restricted file.

The pupils export carries ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>``
(``massar.settings.hashing.pbkdf2_sha256`` of the secret: SHA-256, 32-byte key). Secret and salt are
derived from the seed and the pupil code, so the same seed gives byte-identical files, and a pupil keeps
the same secret year after year.

Cost: the synthetic source uses :data:`ITERATIONS` = 100. Measured here, 1,000 iterations cost 0.2 to
0.6 ms a pupil (2 shared cores), i.e. 4 to 10 minutes per million pupils, more than all the rest of the
generation; 100 keeps hashing to about a tenth of that. A production Massar would use a far higher cost
(OWASP suggests 600,000 for PBKDF2-HMAC-SHA256): the parent lookup must verify with whatever iteration
count the hash states (see :func:`verify`), so both coexist. The plain secrets go to
``exports/<school_year>/parent_secrets.csv``: the restricted delivery that only the lookup-store builder
reads (``warehouse.serving``, which keeps an HMAC of each secret under the server's key); never ingested.
"""

from __future__ import annotations

from massar.settings.hashing import hmac_sha256, pbkdf2_sha256, pbkdf2_verify

ITERATIONS = 100
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
SECRET_LENGTH = 12  # 12 symbols of 32: 60 bits


_SECRET_TABLE = bytes(ord(SECRET_ALPHABET[b % len(SECRET_ALPHABET)]) for b in range(256))


def _material(seed: int, student_code: str) -> tuple[str, bytes]:
    """A pupil's secret and salt: bytes 0-9 and 16-31 of one HMAC-SHA256 of the seed and the code."""
    raw = hmac_sha256(str(seed).encode(), b"parent-access:" + student_code.encode())
    return raw[:SECRET_LENGTH].translate(_SECRET_TABLE).decode("ascii"), raw[16:32]


def secret_of(seed: int, student_code: str) -> str:
    return _material(seed, student_code)[0]


def hash_secret(secret: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    return pbkdf2_sha256(secret, salt, iterations)


def verify(secret: str, stored: str) -> bool:
    """Check ``secret`` against a stored hash, with the iteration count the hash states."""
    return pbkdf2_verify(secret, stored)


def secrets_and_salts(seed: int, student_codes: list[str]) -> tuple[list[str], list[bytes]]:
    """The pupils' secrets and salts, in order (cheap: one HMAC a pupil)."""
    pairs = [_material(seed, code) for code in student_codes]
    return [s for s, _ in pairs], [salt for _, salt in pairs]


def hashes(secrets: list[str], salts: list[bytes], iterations: int = ITERATIONS) -> list[str]:
    """The stored hashes of the secrets (the slow part: run it beside other work, see simulation)."""
    return [pbkdf2_sha256(secret, salt, iterations) for secret, salt in zip(secrets, salts, strict=True)]


def secrets_and_hashes(
    seed: int, student_codes: list[str], iterations: int = ITERATIONS
) -> tuple[list[str], list[str]]:
    """(secrets, hashes) of the pupils, in order."""
    secrets, salts = secrets_and_salts(seed, student_codes)
    return secrets, hashes(secrets, salts, iterations)
