"""Who is signed in to the internal dashboards, and what they may see.

Two ways to sign in, both ending in the same ``User`` and ``Scope`` (the data-access layer does not
change):

- **OpenID Connect** (production): Streamlit's ``st.login()`` against the ministry's identity provider,
  configured in Streamlit's secrets (``[auth]``); the provider's claims map to a scope in
  ``dashboards.oidc``.
- **Local accounts**: a TOML file of Argon2id password hashes — ``$MASSAR_HOME/users.toml`` when it
  exists, otherwise, outside production mode only, the demo file ``dashboards/users.demo.toml`` (demo
  accounts, documented in the README). Create a hash with ``python -m dashboards.auth hash``. An account
  has ``display_name`` (shown in French) and ``display_name_ar`` (shown in Arabic), a ``role`` and the
  codes of its territory (``region_code``, ``province_code``, ``school_code``).

Local sign-in is throttled per account and per client with exponential back-off
(``dashboards.backoff``): a wrong password is recorded before it is checked, in one atomic step shared by
every server process, and the right password works again once the delay has passed.

A session's sign-in lives in ``st.session_state``: it is emptied at sign-in (nothing from before carries
over), at sign-out, and after ``MASSAR_SESSION_IDLE_MINUTES`` (default 30) without any interaction. When
the app is served to a browser, the sign-in is also bound to its connection, checked at every run: a
local account's to the session cookie (``dashboards.sessions``: it survives a reload, and sign-out or the
idle time-out end it server-side), an OpenID Connect identity's to ``st.user`` (Streamlit's own identity
cookie). A run whose connection does not carry the same sign-in (a websocket that resumed the session by
its id without the cookie, a revoked or expired cookie) finds the session emptied.
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

import massar.settings.production as production
from dashboards import backoff, sessions
from dashboards.scope import ROLES, Scope
from dashboards.sessions import DEFAULT_IDLE_MINUTES, IDLE_ENV, idle_timeout_s
from massar.settings import paths
from massar.settings.hashing import pbkdf2_verify

DEMO_USERS: Final[Path] = Path(__file__).resolve().parent / "users.demo.toml"
#: Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 90 ms per check measured on the
#: shared 2-core development machine.
HASHER: Final[PasswordHasher] = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
#: PBKDF2-SHA256 is accepted from existing user files at this cost or more only (OWASP 2023).
PBKDF2_MIN_ITERATIONS: Final[int] = 600_000
_SESSION_KEY: Final[str] = "auth_user"
_LAST_SEEN_KEY: Final[str] = "auth_last_seen"
#: How the session's user signed in: ``oidc``, or the local session's nonce (``dashboards.sessions``).
_VIA_KEY: Final[str] = "auth_via"
VIA_OIDC: Final[str] = "oidc"

__all__ = ["DEFAULT_IDLE_MINUTES", "IDLE_ENV", "idle_timeout_s"]


@dataclass(frozen=True)
class User:
    """A signed-in user. ``display_name`` is shown in French, ``display_name_ar`` (when set) in Arabic."""

    username: str
    display_name: str
    scope: Scope
    display_name_ar: str | None = None

    def name_in(self, lang: str) -> str:
        """The name shown in ``lang``: the Arabic one in Arabic when the account has it."""
        return self.display_name_ar if lang == "ar" and self.display_name_ar else self.display_name


@dataclass(frozen=True)
class SignInResult:
    """The user when the password matched; otherwise ``retry_after`` seconds to wait (0: just wrong)."""

    user: User | None
    retry_after: float = 0.0


def hash_password(password: str) -> str:
    """An Argon2id hash (PHC string ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``)."""
    return HASHER.hash(password)


def verify_password(password: str, encoded: str) -> bool:
    """Check ``password`` against an Argon2id hash, or a PBKDF2-SHA256 one of at least 600,000 iterations
    (``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>``); anything else never matches."""
    if encoded.startswith("$argon2id$"):
        try:
            return HASHER.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return pbkdf2_verify(password, encoded, PBKDF2_MIN_ITERATIONS)


#: What an unknown user's password is checked against, so that an unknown name costs what a wrong
#: password costs (same algorithm, same parameters).
_DECOY_HASH: Final[str] = HASHER.hash(os.urandom(16).hex())


def users_file() -> Path:
    """``$MASSAR_HOME/users.toml``; the demo file when it does not exist, outside production mode only."""
    local = paths().home / "users.toml"
    if local.exists() or production.is_production():
        return local
    return DEMO_USERS


def demo_accounts_active() -> bool:
    """Whether the demo accounts (passwords published in the README) can sign in."""
    return users_file() == DEMO_USERS


def _check_hash(path: Path, username: str, encoded: str) -> None:
    if encoded.startswith("$argon2id$"):
        return
    parts = encoded.split("$")
    if len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit():
        if int(parts[1]) >= PBKDF2_MIN_ITERATIONS:
            return
        raise ValueError(
            f"{path}: user {username}: PBKDF2 with {parts[1]} iterations is too cheap "
            f"(at least {PBKDF2_MIN_ITERATIONS}); re-hash with `python -m dashboards.auth hash` (Argon2id)"
        )
    raise ValueError(f"{path}: user {username}: unknown password hash format (expected Argon2id)")


@cache
def _load(path: Path, mtime: float) -> dict[str, tuple[str, User]]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    users: dict[str, tuple[str, User]] = {}
    for username, entry in data.get("users", {}).items():
        role = entry["role"]
        if role not in ROLES:
            raise ValueError(f"{path}: user {username} has unknown role {role!r}")
        _check_hash(path, username, entry["password_hash"])
        scope = Scope(
            role=role,
            region_code=entry.get("region_code"),
            province_code=entry.get("province_code"),
            school_code=entry.get("school_code"),
        )
        name = entry.get("display_name", username)
        users[username] = (
            entry["password_hash"],
            User(username, name, scope, display_name_ar=entry.get("display_name_ar")),
        )
    return users


def load_users(path: Path | None = None) -> dict[str, tuple[str, User]]:
    """The local accounts (none when production mode has no ``users.toml``: OpenID Connect only)."""
    path = path or users_file()
    if not path.exists():
        return {}
    return _load(path, path.stat().st_mtime)


def authenticate(username: str, password: str, path: Path | None = None) -> User | None:
    """The user if the password matches; None otherwise (same work for unknown users). No throttling:
    the sign-in form calls ``attempt_sign_in``."""
    users = load_users(path)
    encoded, user = users.get(username, (_DECOY_HASH, None))
    ok = verify_password(password, encoded)
    return user if ok and user is not None else None


def attempt_sign_in(
    username: str,
    password: str,
    client: str | None,
    *,
    path: Path | None = None,
    store: Path | None = None,
    now: float | None = None,
) -> SignInResult:
    """One throttled sign-in attempt from ``client`` (the peer address, or the forwarded one when the peer
    is the trusted same-host proxy: Streamlit's server, uvicorn, trusts ``X-Forwarded-For`` from
    127.0.0.1 only, ``FORWARDED_ALLOW_IPS`` for another proxy; None when unknown).

    The attempt is first recorded as a failure for the account and the client, atomically and only if
    neither is in its back-off delay (otherwise the password is not even checked); a right password then
    clears the account's record and takes back the client's.
    """
    # no client key when the address is unknown (loopback without a proxy header): one bucket shared by
    # everyone would let a single guesser slow every user down; the account key still holds
    keys = [f"account:{username.casefold()}", *([f"client:{client}"] if client else [])]
    wait = backoff.reserve(keys, store=store, now=now)
    if wait > 0:
        return SignInResult(None, retry_after=wait)
    user = authenticate(username, password, path)
    if user is None:
        return SignInResult(None)
    backoff.succeeded(keys[:1], keys[1:], store=store)
    return SignInResult(user)


def local_user(username: str) -> User | None:
    """The local account ``username`` as the users file defines it now (None once it is removed)."""
    entry = load_users().get(username)
    return entry[1] if entry else None


def _oidc_username() -> str | None:
    import streamlit as st

    from dashboards.oidc import user_from_claims

    if not st.user.get("is_logged_in"):
        return None
    user = user_from_claims(st.user.to_dict())
    return user.username if user else None


def _bound_to_connection(user: User) -> bool:
    """Whether this run's connection carries the sign-in the session holds (always, outside a server)."""
    import streamlit as st

    if not sessions.served():
        return True
    via = st.session_state.get(_VIA_KEY)
    if via == VIA_OIDC:
        return _oidc_username() == user.username
    if not via:
        return False
    session, _ = sessions.check(sessions.connection_cookie())
    return session is not None and session.nonce == via and session.username == user.username


def signed_in_user() -> User | None:
    """The signed-in user of this session; None, with the session emptied, after the idle time-out or when
    this run's connection does not carry the session's sign-in."""
    import streamlit as st

    user = st.session_state.get(_SESSION_KEY)
    if user is None:
        return None
    now = time.time()
    if now - st.session_state.get(_LAST_SEEN_KEY, now) > idle_timeout_s():  # no mark yet: starts now
        sign_out()
        st.session_state["auth_idle_expired"] = True
        return None
    if not _bound_to_connection(user):
        st.session_state.clear()
        return None
    st.session_state[_LAST_SEEN_KEY] = now
    return user


def sign_in(user: User, via: str | None = None) -> None:
    """Start a fresh session for ``user``: whatever the session held before sign-in is dropped. ``via``:
    ``VIA_OIDC``, or the nonce of the local session whose cookie the connection carries."""
    import streamlit as st

    st.session_state.clear()
    st.session_state[_SESSION_KEY] = user
    st.session_state[_LAST_SEEN_KEY] = time.time()
    if via:
        st.session_state[_VIA_KEY] = via


def resume_from_cookie() -> tuple[User | None, str]:
    """Sign in the local account whose live session cookie this run's connection carries (after a reload,
    a new tab); None and why not (``dashboards.sessions.check``'s reasons, ``unknown`` for a removed
    account)."""
    if not sessions.served():
        return None, "missing"
    session, reason = sessions.check(sessions.connection_cookie())
    if session is None:
        return None, reason
    user = local_user(session.username)
    if user is None:
        sessions.revoke(session.nonce)
        return None, "unknown"
    sign_in(user, via=session.nonce)
    return user, "ok"


def sign_out() -> None:
    """End the session: everything it held is dropped, and its local session is revoked server-side."""
    import streamlit as st

    via = st.session_state.get(_VIA_KEY)
    if via and via != VIA_OIDC:
        sessions.revoke(via)
    st.session_state.clear()


def current_scope() -> Scope:
    """The signed-in user's scope; pages call this and pass it to every data-access function."""
    user = signed_in_user()
    if user is None:
        raise PermissionError("not signed in")
    return user.scope


if __name__ == "__main__" and sys.argv[1:2] == ["hash"]:
    import getpass

    print(hash_password(getpass.getpass("password: ")))
