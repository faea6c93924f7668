"""Who is signed in to the internal dashboards, and what they may see.

Local use: users come from a TOML file with PBKDF2-SHA256 password hashes — ``$MASSAR_HOME/users.toml``
when it exists, otherwise the demo file ``dashboards/users.demo.toml`` (demo accounts, documented in the
README). Create a hash with ``python -m dashboards.auth hash``.

Production: replace the form with Streamlit's OpenID Connect support (``st.login()`` against the
ministry's identity provider, configured in ``.streamlit/secrets.toml`` ``[auth]``), and map the
provider's claims (role, region, province, school) to a ``Scope`` in ``scope_of`` — the data-access layer
does not change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from dashboards.scope import ROLES, Scope
from massar.settings import paths

DEMO_USERS: Final[Path] = Path(__file__).resolve().parent / "users.demo.toml"
ALGORITHM: Final[str] = "pbkdf2_sha256"
ITERATIONS: Final[int] = 200_000
_SESSION_KEY: Final[str] = "auth_user"


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    scope: Scope


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check of ``password`` against ``pbkdf2_sha256$<iterations>$<salt>$<hash>``."""
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


def users_file() -> Path:
    local = paths().home / "users.toml"
    return local if local.exists() else DEMO_USERS


@cache
def _load(path: Path, mtime: float) -> dict[str, tuple[str, User]]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    users: dict[str, tuple[str, User]] = {}
    for username, entry in data.get("users", {}).items():
        role = entry["role"]
        if role not in ROLES:
            raise ValueError(f"{path}: user {username} has unknown role {role!r}")
        scope = Scope(
            role=role,
            region_code=entry.get("region_code"),
            province_code=entry.get("province_code"),
            school_code=entry.get("school_code"),
        )
        users[username] = (entry["password_hash"], User(username, entry.get("display_name", username), scope))
    return users


def load_users(path: Path | None = None) -> dict[str, tuple[str, User]]:
    path = path or users_file()
    return _load(path, path.stat().st_mtime)


def authenticate(username: str, password: str, path: Path | None = None) -> User | None:
    """The user if the password matches; None otherwise (same work for unknown users)."""
    users = load_users(path)
    encoded, user = users.get(username, (hash_password("x", salt=b"0" * 16), None))
    ok = verify_password(password, encoded)
    return user if ok and user is not None else None


def signed_in_user() -> User | None:
    import streamlit as st

    return st.session_state.get(_SESSION_KEY)


def sign_in(user: User) -> None:
    import streamlit as st

    st.session_state[_SESSION_KEY] = user


def sign_out() -> None:
    import streamlit as st

    st.session_state.pop(_SESSION_KEY, None)


def current_scope() -> Scope:
    """The signed-in user's scope; pages call this and pass it to every data-access function."""
    user = signed_in_user()
    if user is None:
        raise PermissionError("not signed in")
    return user.scope


if __name__ == "__main__" and sys.argv[1:2] == ["hash"]:
    import getpass

    print(hash_password(getpass.getpass("password: ")))
