"""Server-side secret keys: random, generated into ``$MASSAR_HOME/keys/`` at first use, never in the
repository.

Each key has a name (``pseudonym``, ``lookup``, ``certificate``...). Its value comes from, in order:

1. the environment variable ``MASSAR_<NAME>_KEY`` (hex or any text; a deployment's secret manager sets it);
2. the file ``$MASSAR_HOME/keys/<name>.key`` (32 random bytes, hex, mode 0600), created on first use.

Creation is atomic (a complete file is hard-linked into place): two processes starting at once read the
same key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from massar.settings.locations import paths

KEY_BYTES = 32


def env_name(name: str) -> str:
    """The environment variable that overrides key ``name``."""
    return f"MASSAR_{name.upper()}_KEY"


def key_path(name: str) -> Path:
    """Where key ``name`` is kept under the current ``MASSAR_HOME``."""
    if not name.isidentifier():
        raise ValueError(f"invalid key name {name!r}")
    return paths().home / "keys" / f"{name}.key"


def server_key(name: str) -> bytes:
    """The secret key ``name`` as bytes (see the module docstring for where it comes from)."""
    from_env = os.environ.get(env_name(name), "").strip()
    if from_env:
        return from_env.encode()
    path = key_path(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        staged = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staged, path)  # atomic, and fails if another process linked its key first
        except FileExistsError:
            pass  # another process created it first: read theirs
        finally:
            staged.unlink()
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"key file {path} is empty: delete it, or set {env_name(name)}")
    return value.encode()
