"""Throttling, lockout and the audit log of lookups, in a small writable SQLite store.

The serving store is read-only; this store sits beside it (``$MASSAR_HOME/serving/lookup_state.sqlite``).
- Per code: after ``MAX_FAILURES_PER_CODE`` failed attempts within ``WINDOW``, the code is locked (every
  attempt on it fails, whatever the secret) until the window has passed.
- Per client: at most ``MAX_ATTEMPTS_PER_CLIENT`` attempts within ``WINDOW``.
- Audit: every lookup is logged (when, which code, outcome, client) — never the secret.
Codes are stored as given (they are identifiers, not secrets) and truncated to a sane length.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Outcome = Literal["ok", "denied", "locked", "throttled", "invalid"]

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_CODE = 5
MAX_ATTEMPTS_PER_CLIENT = 30
_MAX_FIELD = 64

_SCHEMA = """
create table if not exists attempts (
    at real not null,
    code text not null,
    client text not null,
    success integer not null
);
create index if not exists attempts_code on attempts (code, at);
create index if not exists attempts_client on attempts (client, at);
create table if not exists audit (
    at real not null,
    code text not null,
    client text not null,
    outcome text not null
);
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: Outcome | None = None


class Guard:
    """Lockout and throttling decisions, and the audit log, for one state file."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self._con.execute("pragma journal_mode=wal")
        self._con.execute("pragma synchronous=normal")  # WAL + normal: durable enough for counters, fast
        self._con.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._con

    def check(self, code: str, client: str) -> Verdict:
        """May this client try this code now?"""
        since = self.clock() - WINDOW_SECONDS
        code, client = code[:_MAX_FIELD], client[:_MAX_FIELD]
        with self._connect() as con:
            (client_attempts,) = con.execute(
                "select count(*) from attempts where client = ? and at >= ?", (client, since)
            ).fetchone()
            (code_failures,) = con.execute(
                "select count(*) from attempts where code = ? and at >= ? and success = 0", (code, since)
            ).fetchone()
        if client_attempts >= MAX_ATTEMPTS_PER_CLIENT:
            return Verdict(False, "throttled")
        if code_failures >= MAX_FAILURES_PER_CODE:
            return Verdict(False, "locked")
        return Verdict(True)

    def record(self, code: str, client: str, outcome: Outcome) -> None:
        """Count the attempt (unless refused before any check) and write the audit line."""
        now = self.clock()
        code, client = code[:_MAX_FIELD], client[:_MAX_FIELD]
        with self._connect() as con:
            if outcome in ("ok", "denied", "invalid"):
                con.execute(
                    "insert into attempts (at, code, client, success) values (?, ?, ?, ?)",
                    (now, code, client, int(outcome == "ok")),
                )
            con.execute(
                "insert into audit (at, code, client, outcome) values (?, ?, ?, ?)",
                (now, code, client, outcome),
            )

    def audit_rows(self) -> list[tuple[float, str, str, str]]:
        with self._connect() as con:
            return con.execute("select at, code, client, outcome from audit order by at").fetchall()
