"""Throttling and the audit log of lookups, shared by every worker process through one SQLite file.

The serving store is read-only; this store sits beside it (``$MASSAR_HOME/serving/lookup_state.sqlite``,
WAL mode, so that readers and the one writer at a time do not block each other).

Two buckets per attempt, each a row ``(key, n, until, seen, stamp)``:

- per client (``client:<address>``): ``client_free`` attempts, then exponential back-off;
- per code (``code:<pupil code>``): ``code_free`` attempts, then exponential back-off, whoever tries;
  a browser that already signed in to the code has a bucket of its own on it (``check``'s ``device``).

An attempt is *admitted* by one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per bucket: the check
("is the bucket's delay over?") and the record ("one more attempt; the next delay") are one statement,
so concurrent requests in any number of processes cannot both pass a bucket that has one attempt left.
An admitted attempt counts as a failure until it is settled: a success resets the code's bucket and
gives the client its attempt back. After ``n`` attempts (``n >= free``) the bucket's delay is
``base * 2 ** (n - free)``, capped at ``cap``; a refused attempt changes nothing (so hammering a code
does not extend its delay), and a bucket left alone for ``window`` seconds starts afresh. There is no
lock-out: once the delay has passed, the right secret succeeds.

Several hosts: the same two steps as one Redis ``EVAL`` script per bucket (``HGETALL``, compute,
``HSET`` + ``EXPIRE window``; a Lua script runs atomically), the audit log to the deployment's log
pipeline. See ``docs/operations.md``.

Audit: every lookup is logged (when, which code, outcome, client address as resolved from the socket or
a trusted proxy) — never the secret.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dashboards.sqlite_wal import connect_wal

Outcome = Literal["ok", "denied", "locked", "throttled", "invalid"]

_MAX_FIELD = 64

_SCHEMA = """
create table if not exists bucket (
    key text primary key,
    n integer not null,
    until real not null,
    seen real not null,
    stamp text
);
create table if not exists audit (
    at real not null,
    code text not null,
    client text not null,
    outcome text not null
);
"""

# One statement: admit (stamp := this attempt's token) when the bucket's delay is over, counting the
# attempt and setting the next delay; leave the row untouched otherwise. In ``do update``, column names
# are the row's values before the update.
_N = "(case when :now - seen > :window then 1 else n + 1 end)"
_ADMIT = f"""
insert into bucket (key, n, until, seen, stamp)
values (:key, 1, case when 1 >= :free then :now + :base else 0 end, :now, :stamp)
on conflict (key) do update set
    n = case when until > :now then n else {_N} end,
    until = case
        when until > :now then until
        when {_N} >= :free then :now + min(:cap, :base * (1 << min(40, {_N} - :free)))
        else 0 end,
    seen = case when until > :now then seen else :now end,
    stamp = case when until > :now then stamp else :stamp end
returning stamp = :stamp, until
"""


@dataclass(frozen=True)
class Limits:
    """Free attempts, back-off base and cap (seconds) per bucket, and the idle window that resets one."""

    client_free: int = 30
    code_free: int = 5
    base_seconds: float = 60.0
    cap_seconds: float = 15 * 60.0
    window_seconds: float = 15 * 60.0

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, overridden by ``MASSAR_LOOKUP_CLIENT_FREE``, ``MASSAR_LOOKUP_CODE_FREE``,
        ``MASSAR_LOOKUP_BACKOFF_SECONDS``, ``MASSAR_LOOKUP_BACKOFF_CAP_SECONDS``,
        ``MASSAR_LOOKUP_WINDOW_SECONDS``."""
        env = os.environ.get
        d = cls()
        return cls(
            client_free=int(env("MASSAR_LOOKUP_CLIENT_FREE", d.client_free)),
            code_free=int(env("MASSAR_LOOKUP_CODE_FREE", d.code_free)),
            base_seconds=float(env("MASSAR_LOOKUP_BACKOFF_SECONDS", d.base_seconds)),
            cap_seconds=float(env("MASSAR_LOOKUP_BACKOFF_CAP_SECONDS", d.cap_seconds)),
            window_seconds=float(env("MASSAR_LOOKUP_WINDOW_SECONDS", d.window_seconds)),
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: Outcome | None = None
    retry_after: float = 0.0


class Guard:
    """Admission, settlement and the audit log, for one state file (one connection per process)."""

    def __init__(
        self, path: Path, clock: Callable[[], float] = time.time, limits: Limits | None = None
    ) -> None:
        self.path = path
        self.clock = clock
        self.limits = limits or Limits.from_env()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = connect_wal(self.path, check_same_thread=False)
        self._con.execute("pragma synchronous=normal")  # WAL + normal: durable enough for counters, fast
        self._con.executescript(_SCHEMA)

    def _admit_one(self, key: str, free: int, now: float) -> tuple[bool, float]:
        lim = self.limits
        stamp = secrets.token_hex(8)
        admitted, until = self._con.execute(
            _ADMIT,
            {
                "key": key,
                "now": now,
                "free": free,
                "base": lim.base_seconds,
                "cap": lim.cap_seconds,
                "window": lim.window_seconds,
                "stamp": stamp,
            },
        ).fetchone()
        return bool(admitted), float(until)

    @staticmethod
    def _code_key(code: str, device: str) -> str:
        return f"code:{code}@{device[:32]}" if device else f"code:{code}"

    def check(self, code: str, client: str, device: str = "") -> Verdict:
        """Admit this attempt (client bucket first, then the code's), or say how long to wait.

        ``device``: set when the browser proved it already signed in to this code (a known-browser
        token, see the portal): its attempts on the code use a bucket of their own, which what others
        try on the code does not fill, so an attacker holding the child's code cannot keep the parent
        waiting."""
        now = self.clock()
        code, client = code[:_MAX_FIELD], client[:_MAX_FIELD]
        with self._lock:
            ok, until = self._admit_one(f"client:{client}", self.limits.client_free, now)
            if not ok:
                return Verdict(False, "throttled", until - now)
            ok, until = self._admit_one(self._code_key(code, device), self.limits.code_free, now)
            if not ok:
                return Verdict(False, "locked", until - now)
        return Verdict(True)

    def record(self, code: str, client: str, outcome: Outcome, device: str = "") -> None:
        """Settle an attempt and write the audit line: a success resets the code's bucket and gives the
        client its attempt back; a failure stays counted."""
        now = self.clock()
        code, client = code[:_MAX_FIELD], client[:_MAX_FIELD]
        with self._lock:
            self._con.execute("begin immediate")
            try:
                if outcome == "ok":
                    self._con.execute("delete from bucket where key = ?", (self._code_key(code, device),))
                    self._con.execute(
                        "update bucket set n = max(n - 1, 0) where key = ?", (f"client:{client}",)
                    )
                self._con.execute(
                    "insert into audit (at, code, client, outcome) values (?, ?, ?, ?)",
                    (now, code, client, outcome),
                )
                self._con.execute("commit")
            except BaseException:
                self._con.execute("rollback")
                raise

    def audit_rows(self) -> list[tuple[float, str, str, str]]:
        with self._lock:
            return self._con.execute("select at, code, client, outcome from audit order by at").fetchall()
