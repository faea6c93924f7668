"""Production mode: one setting, ``MASSAR_ENV=production``, under which the served apps refuse to start with
demo or missing secrets, and the address every server binds.

Without it (the default, ``MASSAR_ENV`` unset or ``demo``) the apps run as the demo: the demo accounts of
``dashboards/users.demo.toml`` are active (a warning says so) and missing keys are generated at first use
(``massar.settings.keys``). In production the apps start only when:

- the internal dashboards have a sign-in that is not the demo's: ``$MASSAR_HOME/users.toml`` (none of its
  password hashes copied from the demo file) or OpenID Connect configured (``[auth]`` in Streamlit's
  secrets, see ``dashboards.oidc``);
- the server keys ``pseudonym``, ``lookup`` and ``certificate`` (and ``session``, which signs the local
  accounts' session cookies, when ``users.toml`` exists) exist (environment variable
  ``MASSAR_<NAME>_KEY`` or file ``$MASSAR_HOME/keys/<name>.key``), are not a known development constant,
  and hold at least 128 bits (32 hex characters). Production never generates a key silently: create them
  once with ``massar production init-keys`` (or let the secret manager set the variables).

Every server binds 127.0.0.1 unless told otherwise (``massar serve --address`` or ``MASSAR_BIND``), in
production and in the demo alike: a reverse proxy on the same host publishes what must be published.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Final

from massar.settings import keys
from massar.settings.locations import REPO_ROOT, paths

ENV_VAR: Final[str] = "MASSAR_ENV"
BIND_ENV: Final[str] = "MASSAR_BIND"
DEFAULT_BIND: Final[str] = "127.0.0.1"
PRODUCTION: Final[str] = "production"
_MODES: Final[frozenset[str]] = frozenset({"", "demo", "development", PRODUCTION})

#: The keys a production deployment must hold (see ``massar.settings.keys``).
REQUIRED_KEYS: Final[tuple[str, ...]] = ("pseudonym", "lookup", "certificate")
#: Signs the local accounts' session cookies (``dashboards.sessions``): required when ``users.toml`` exists.
SESSION_KEY: Final[str] = "session"
#: Shortest accepted key: 32 characters (the generated keys are 64 hex characters, 256 bits).
MIN_KEY_CHARS: Final[int] = 32
#: Values that have served as development or test salts: never accepted in production.
KNOWN_WEAK: Final[frozenset[str]] = frozenset(
    {"massar-dev-salt", "unit-test-salt", "test-salt", "changeme", "secret", "salt", "dev", "demo"}
)
DEMO_USERS: Final[Path] = REPO_ROOT / "dashboards" / "users.demo.toml"


class NotReadyForProduction(RuntimeError):
    """Production mode is on and something it requires is missing or a demo default."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{ENV_VAR}={PRODUCTION}: refusing to start:\n{lines}")


def mode() -> str:
    """``production`` or ``demo`` (an unknown value is an error: a typo must not fall back to the demo)."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value not in _MODES:
        raise ValueError(f"{ENV_VAR}={value!r}: expected 'production' or 'demo' (or unset)")
    return PRODUCTION if value == PRODUCTION else "demo"


def is_production() -> bool:
    return mode() == PRODUCTION


def bind_address(requested: str | None = None) -> str:
    """The address servers listen on: ``requested`` (``--address``), else ``MASSAR_BIND``, else 127.0.0.1."""
    return (requested or os.environ.get(BIND_ENV, "").strip() or DEFAULT_BIND).strip()


def key_problem(name: str) -> str | None:
    """Why key ``name`` is not fit for production (None when it is). Reads, never creates."""
    variable = keys.env_name(name)
    value = os.environ.get(variable, "").strip()
    where = f"environment variable {variable}"
    if not value:
        path = keys.key_path(name)
        if not path.exists():
            return f"key '{name}' is missing: set {variable} or create {path} (massar production init-keys)"
        value = path.read_text().strip()
        where = str(path)
    if value.lower() in KNOWN_WEAK:
        return f"key '{name}' ({where}) is a known development value"
    if len(value) < MIN_KEY_CHARS:
        return f"key '{name}' ({where}) is too short: at least {MIN_KEY_CHARS} characters"
    return None


def _password_hashes(path: Path) -> set[str]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {str(entry.get("password_hash", "")) for entry in data.get("users", {}).values()} - {""}


def users_problem(oidc_configured: bool) -> str | None:
    """Why the internal sign-in is not fit for production (None when it is)."""
    local = paths().home / "users.toml"
    if local.exists():
        copied = _password_hashes(local) & _password_hashes(DEMO_USERS)
        if copied:
            return f"{local} holds password hashes of the demo accounts (dashboards/users.demo.toml)"
        return None
    if oidc_configured:
        return None
    return (
        f"no sign-in but the demo accounts (dashboards/users.demo.toml): create {local} "
        f"or configure OpenID Connect ([auth] in Streamlit's secrets.toml)"
    )


def _required_keys(need_users: bool = True) -> tuple[str, ...]:
    local_accounts = need_users and (paths().home / "users.toml").exists()
    return (*REQUIRED_KEYS, SESSION_KEY) if local_accounts else REQUIRED_KEYS


def problems(*, oidc_configured: bool, need_users: bool = True) -> list[str]:
    """Everything production mode would refuse, in the order an operator should fix it."""
    found = [p for p in (key_problem(name) for name in _required_keys(need_users)) if p]
    if need_users:
        users = users_problem(oidc_configured)
        if users:
            found.insert(0, users)
    return found


def require_ready(*, oidc_configured: bool, need_users: bool = True) -> None:
    """Raise ``NotReadyForProduction`` in production mode when ``problems`` finds anything."""
    if not is_production():
        return
    found = problems(oidc_configured=oidc_configured, need_users=need_users)
    if found:
        raise NotReadyForProduction(found)


def init_keys() -> list[str]:
    """Create the missing server keys (random, under ``$MASSAR_HOME/keys``); the names created."""
    created = []
    for name in _required_keys():
        if not os.environ.get(keys.env_name(name)) and not keys.key_path(name).exists():
            keys.server_key(name)
            created.append(name)
    return created
