"""One writer at a time in a ``MASSAR_HOME``: an exclusive OS file lock, held by every command that writes.

Ingest, build, check, publish, maintenance, rollback, backup and restore take ``writer_lock`` around their
work, from the ``massar`` command and from Airflow's tasks alike. The lock is ``flock`` on
``$MASSAR_HOME/writer.lock``: the kernel releases it when its holder exits, even by ``kill -9``, so a lock
left by a dead process is taken over without anyone deleting a file. The file also records who holds the
lock (pid, command, start time), so that a second writer says what it waits for.

The lock is re-entrant within a process, whatever the thread (``massar run`` holds it and runs the DAG's
tasks in the same process and thread; threads a writer starts share its lock). File descriptors are not
inherited by child processes (Python's default), so a dbt subprocess does not keep the lock alive after
its parent died.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from massar.settings import paths

P = ParamSpec("P")
R = TypeVar("R")

LOCK_NAME = "writer.lock"
#: Seconds a writer waits for the lock before giving up (``--wait`` on the command line; Airflow's tasks
#: wait, so that mapped tasks of one run take turns).
WAIT_ENV = "MASSAR_LOCK_WAIT"
POLL_SECONDS = 0.2
#: Exit status of a ``massar`` command that did not get the lock in time (``EX_TEMPFAIL``: try again later).
EXIT_BUSY = 75


class WriterBusyError(RuntimeError):
    """Another process holds the writer lock."""

    def __init__(self, holder: Holder | None, waited: float) -> None:
        self.holder = holder
        self.waited = waited
        who = holder.describe() if holder else "holder unknown"
        after = f" (waited {waited:.0f} s)" if waited >= 1 else ""
        super().__init__(f"another run is in progress ({who}){after}: try again when it has finished")


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: str
    host: str

    def describe(self) -> str:
        return f"pid {self.pid}, {self.command}, since {self.since} on {self.host}"


_local = threading.RLock()
_held: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth) for this process


def lock_path() -> Path:
    return paths().home / LOCK_NAME


def holder(path: Path | None = None) -> Holder | None:
    """Who holds (or last held) the lock, as recorded in the lock file; None when unreadable."""
    path = path or lock_path()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(record["pid"]), str(record["command"]), str(record["since"]), str(record["host"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def default_wait() -> float:
    value = os.environ.get(WAIT_ENV, "0").strip()
    try:
        return max(float(value), 0.0)
    except ValueError as exc:
        raise ValueError(f"{WAIT_ENV}={value!r}: expected a number of seconds") from exc


def _record(fd: int, command: str) -> None:
    """Write who holds the lock into the lock file. Best effort: the lock is the ``flock``, not this record,
    and a full disk must not stop a writer (the record then reads "holder unknown")."""
    record = {
        "pid": os.getpid(),
        "command": command,
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "host": socket.gethostname(),
    }
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
    except OSError:
        pass


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``fd`` is still the file at ``path``: a lock taken on a file that was deleted or replaced
    between its opening and its locking would not exclude a writer that opens the new one. (Nothing here
    deletes the lock file; deleting it while a writer holds it lets a second writer in.)"""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


@contextmanager
def writer_lock(command: str, wait: float | None = None) -> Iterator[None]:
    """Hold the home's writer lock for ``command`` (a label such as ``massar build``).

    Waits up to ``wait`` seconds (default ``MASSAR_LOCK_WAIT``, else 0), printing once what it waits for;
    then raises ``WriterBusyError`` naming the holder."""
    path = lock_path()
    with _local:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _local:
                fd, depth = _held[path]
                _held[path] = (fd, depth - 1)
        return

    wait = default_wait() if wait is None else wait
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    announced = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            waited = time.monotonic() - started
            if waited >= wait:
                raise WriterBusyError(holder(path), waited) from None
            if not announced:
                who = holder(path)
                print(
                    f"waiting up to {wait:.0f} s for the writer lock "
                    f"({who.describe() if who else 'holder unknown'})",
                    file=sys.stderr,
                    flush=True,
                )
                announced = True
            time.sleep(POLL_SECONDS)
            continue
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            break
        os.close(fd)  # locked a file that is no longer the lock file: start again on the current one
    if announced:
        print(f"got the writer lock after {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    try:
        _record(fd, command)
        with _local:
            _held[path] = (fd, 1)
        yield
    finally:
        with _local:
            _held.pop(path, None)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def holds_writer_lock(
    command: str | Callable[[], str] | None = None, wait: float | Callable[[], float] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: the function runs holding the writer lock. ``command`` labels the holder (a string, or a
    function called at each run, e.g. to name an Airflow task instance; default: the function's name).
    Within a command or a task that already holds the lock the function simply runs (re-entrant);
    otherwise it waits ``wait`` seconds at most (a number, or a function called at each run; default
    ``MASSAR_LOCK_WAIT``, else 0) and raises ``WriterBusyError``. The ``massar`` command and the Airflow
    tasks use it alike."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            label = command() if callable(command) else command or f"{fn.__module__}.{fn.__qualname__}"
            with writer_lock(label, wait=wait() if callable(wait) else wait):
                return fn(*args, **kwargs)

        locked.holds_writer_lock = True  # type: ignore[attr-defined]
        return locked

    return decorate


def held() -> bool:
    """Whether this process holds the writer lock of the current ``MASSAR_HOME``."""
    with _local:
        return lock_path() in _held
