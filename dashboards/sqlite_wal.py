"""A SQLite connection in WAL mode, for the small state files several server processes share (sign-in
back-off, the parent portal's throttle).

Switching a database to WAL takes an exclusive lock, and SQLite answers ``database is locked`` at once,
without its busy handler, when two processes open a new file together; the switch is retried here until
``timeout`` (once a file is in WAL mode, it stays so and the pragma is a no-op).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

RETRY_SECONDS = 0.05


def connect_wal(path: Path, timeout: float = 30.0, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection to ``path`` in WAL mode with a busy timeout of ``timeout`` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=check_same_thread)
    deadline = time.monotonic() + timeout
    while True:
        try:
            con.execute("pragma journal_mode = wal")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                con.close()
                raise
            time.sleep(RETRY_SECONDS)
    con.execute(f"pragma busy_timeout = {int(timeout * 1000)}")
    return con
