"""Exponential back-off for sign-in attempts, shared by every server process of one ``MASSAR_HOME``.

State lives in one SQLite file in WAL mode (``$MASSAR_HOME/auth/sign_in_backoff.sqlite``): a row per key
(``account:<name>``, ``client:<address>``) with its recent failures and the time before which it may not
try again. ``reserve`` checks and records in one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock, so
two processes cannot both pass on the same count): an attempt is refused, unchecked, while any of its
keys is blocked; otherwise each key counts one more failure and gets its next delay, *before* the
password is checked. A right password then clears the account (``clear``), so no one can hold an account
locked: the worst an attacker gets is the capped delay, after which the right password works.

Delays: the first ``FREE_FAILURES`` failures cost nothing, then 1 s, 2 s, 4 s... up to ``MAX_DELAY_S``
(15 minutes). Failures older than ``FORGET_AFTER_S`` (one hour after the last) start again from zero.

Several hosts: the same two statements on a shared store (a Redis ``MULTI`` of ``GET``/``INCR``/
``EXPIRE`` per key, or a PostgreSQL table with the same UPSERT) replace the SQLite file.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Final

from dashboards.sqlite_wal import connect_wal
from massar.settings import paths

FREE_FAILURES: Final[int] = 5
BASE_DELAY_S: Final[float] = 1.0
MAX_DELAY_S: Final[float] = 15 * 60.0
FORGET_AFTER_S: Final[float] = 60 * 60.0

_SCHEMA = """
create table if not exists backoff (
    key text primary key,
    failures integer not null,
    last_failure_at real not null,
    blocked_until real not null
)
"""

# One statement per key: count a failure (restarting from one when the last is forgotten) and set the
# next delay, computed from the new count: max(0, n - FREE) doublings of BASE, capped.
_RECORD = """
insert into backoff (key, failures, last_failure_at, blocked_until) values (:key, 1, :now, :now)
on conflict (key) do update set
    failures = case when :now - last_failure_at > :forget then 1 else failures + 1 end,
    last_failure_at = :now,
    blocked_until = :now + case
        when (case when :now - last_failure_at > :forget then 1 else failures + 1 end) <= :free then 0
        else min(:cap, :base * power(2, (case when :now - last_failure_at > :forget then 1
                                             else failures + 1 end) - :free - 1))
    end
"""


def default_store() -> Path:
    return paths().home / "auth" / "sign_in_backoff.sqlite"


def _connect(store: Path | None) -> sqlite3.Connection:
    con = connect_wal(store or default_store())
    con.execute(_SCHEMA)
    return con


def delay_after(failures: int) -> float:
    """The back-off delay after ``failures`` consecutive failures (the schedule ``_RECORD`` applies)."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - FREE_FAILURES - 1))


def reserve(keys: list[str], *, store: Path | None = None, now: float | None = None) -> float:
    """Seconds to wait when any key is blocked (nothing recorded); else 0, with a failure recorded for
    every key. Atomic across processes."""
    now = time.time() if now is None else now
    con = _connect(store)
    try:
        con.execute("begin immediate")
        try:
            marks = ",".join("?" * len(keys))
            (blocked_until,) = con.execute(
                f"select coalesce(max(blocked_until), 0) from backoff where key in ({marks})",
                keys,
            ).fetchone()
            if blocked_until > now:
                con.execute("rollback")
                return float(blocked_until - now)
            con.executemany(
                _RECORD,
                [
                    {
                        "key": key,
                        "now": now,
                        "forget": FORGET_AFTER_S,
                        "free": FREE_FAILURES,
                        "cap": MAX_DELAY_S,
                        "base": BASE_DELAY_S,
                    }
                    for key in keys
                ],
            )
            con.execute("commit")
            return 0.0
        except BaseException:
            if con.in_transaction:
                con.execute("rollback")
            raise
    finally:
        con.close()


def succeeded(cleared: list[str], refunded: list[str], *, store: Path | None = None) -> None:
    """After a right password: forget the failures of ``cleared`` (the account), and take back the
    failure ``reserve`` counted for ``refunded`` (the client: colleagues behind one address signing in
    must not slow each other down)."""
    con = _connect(store)
    try:
        con.execute("begin immediate")
        con.executemany("delete from backoff where key = ?", [[k] for k in cleared])
        con.executemany(
            "update backoff set failures = max(failures - 1, 0), blocked_until = last_failure_at"
            " where key = ?",
            [[k] for k in refunded],
        )
        con.execute("commit")
    finally:
        con.close()


def failures(key: str, *, store: Path | None = None) -> int:
    """Recorded consecutive failures of ``key`` (for tests and operators)."""
    con = _connect(store)
    try:
        row = con.execute("select failures from backoff where key = ?", [key]).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()
