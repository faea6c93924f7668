"""The narrow serving store of the lookup: exactly what the page shows, keyed by pupil code.

A small DuckDB file of each published version (``$MASSAR_HOME/serving/<version>/parent_lookup.duckdb``),
built at publish time and put in place before the version's ``CURRENT`` switch, opened read-only. The
store follows ``CURRENT`` (``warehouse/published/CURRENT``) and checks that the file it opens was built
for that version (``meta.build.source``). Two tables, in schema ``lookup`` and keyed by ``student_code``:

- ``pupil``: identity, school, level, class, year, annual average and decision, and ``secret_hash``
  (HMAC-SHA-256 of the parent secret under the server's lookup key);
- ``card``: the whole answer in one row per pupil: ``pupil`` without the secret hash, and lists of
  structs built from the ``serving.lookup_*`` models (``warehouse/serving.py``): ``subject_results``
  (averages per subject and semester, with the rank in class), ``absences`` (absent days, sessions,
  justified), ``timetable`` (the class's week), ``exams`` (certificate exam marks) and
  ``exam_calendar`` (dates of the certificate exam papers of the pupil's level and of the class's
  unified tests).
A lookup reads the secret hash (one indexed point query), and only after the secret is verified, the
card (one more). Every query is parameterized and filtered by one pupil code.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from massar.settings import paths
from warehouse.publish import CurrentPointerError, current

STORE_NAME = "parent_lookup.duckdb"
STATE_NAME = "lookup_state.sqlite"


class StoreNotCurrent(RuntimeError):
    """The lookup store of the current version is missing or was not built for it."""


def current_version() -> str | None:
    """The version named by ``warehouse/published/CURRENT``: None when nothing is published or the pointer
    is damaged (not a version name, or a version whose file does not exist; never followed as a path)."""
    try:
        live = current(paths().published_dir)  # the pointer's one reader; it opens nothing
    except CurrentPointerError:
        return None
    return live.version if live else None


def stores_folder(version: str | None) -> Path:
    """``$MASSAR_HOME/serving/<version>/``: the serving stores of a version (a folder that does not exist
    when ``version`` is None)."""
    return paths().home / "serving" / (version or "none")


def store_path(version: str | None = None) -> Path:
    """The lookup store of ``version`` (default: the current version; a path that does not exist when
    nothing is published)."""
    return stores_folder(version or current_version()) / STORE_NAME


def state_path() -> Path:
    return paths().home / "serving" / STATE_NAME


def open_lookup_store() -> ServingStore:
    """The lookup store of this home's current published version, read-only, following ``CURRENT``: how
    every app opens it."""
    return ServingStore()


@dataclass(frozen=True)
class PupilCard:
    pupil: dict[str, object]
    subject_results: pl.DataFrame
    absences: pl.DataFrame
    timetable: pl.DataFrame
    exams: pl.DataFrame
    exam_calendar: pl.DataFrame


_CARD_LISTS = ("subject_results", "absences", "timetable", "exams", "exam_calendar")


_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
}


def _frame(items: list[dict[str, object]], list_type: duckdb.DuckDBPyType) -> pl.DataFrame:
    """A list of structs as a frame, typed from the store's column types (also when the list is empty)."""
    schema = {name: _POLARS_TYPES.get(str(kind)) for name, kind in list_type.child.children}
    known = {name: kind for name, kind in schema.items() if kind is not None}
    if items:
        return pl.DataFrame(items, schema_overrides=known, infer_schema_length=None)
    return pl.DataFrame(schema={name: kind or pl.String() for name, kind in schema.items()})


class ServingStore:
    """Read-only access to the lookup store: one connection, one cursor per thread (thread-safe).

    A cursor is kept per thread and reused: DuckDB's first query on a fresh cursor costs several times a
    point read (measured: 2.6 ms against 0.5 ms for the same indexed query on a reused cursor).

    Without ``path`` the store follows the published version: before each query it reads ``CURRENT``
    and, when it names another version, opens that version's store (checking its ``meta.build.source``):
    a reader sees the store of the version the dashboards see, whole, without a restart of the app. A
    connection opened before keeps reading its file. With ``path``, that file (reopened when an atomic
    rename replaced it: one ``stat`` per query)."""

    def __init__(self, path: Path | None = None) -> None:
        self._follow = path is None
        self.version = current_version() if self._follow else None
        self.path = store_path(self.version) if self._follow else path  # type: ignore[assignment]
        self._lock = threading.Lock()
        self._local = threading.local()
        self._identity = self._file_identity()
        self._con = self._open()

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the store file, read-only. The file is attached to a fresh in-memory
        database rather than opened with ``duckdb.connect(path)``: DuckDB shares one database instance per
        path within a process, so reopening the path after a publish would return the instance still
        holding the replaced file. DuckDB's default threads: tried with one thread, the card read at 1M
        pupils got slower (p50 1.4 -> 3-8 ms, benchmarks/bench_lookup.py), the list columns decoding in
        parallel."""
        if self._follow and self.version is None:
            raise StoreNotCurrent("nothing is published (or CURRENT is damaged): no lookup store")
        con = duckdb.connect()
        try:
            con.execute("attach ? as store (read_only)", [str(self.path)])
        except duckdb.IOException as exc:
            con.close()
            raise StoreNotCurrent(f"no lookup store for {self.version or self.path}") from exc
        con.execute("use store")  # unqualified names (``lookup.card``) resolve in the store, as before
        if self._follow:
            source = con.execute("select source from meta.build").fetchall()
            if source != [(self.version,)]:
                con.close()
                raise StoreNotCurrent(f"{self.path} was built for {source}, not {self.version}")
        return con

    def _file_identity(self) -> tuple[object, ...]:
        if self._follow:
            return (self.version,)
        stat = os.stat(self.path)
        return stat.st_ino, stat.st_mtime_ns

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the current store file (reopened when a publish replaced it)."""
        if self._follow:
            version = current_version()
            identity: tuple[object, ...] = (version,) if version else self._identity
        else:
            try:
                identity = self._file_identity()
            except FileNotFoundError:  # between two renames: keep the file already open
                identity = self._identity
        if identity != self._identity:
            with self._lock:
                if identity != self._identity:
                    # The previous connection is not closed here: another thread may be reading through
                    # it; it is released with its last cursor.
                    if self._follow:
                        self.version = str(identity[0])
                        self.path = store_path(self.version)
                    self._con = self._open()
                    self._identity = identity
        con = self._con
        cached = getattr(self._local, "cursor", None)
        if cached is None or cached[0] is not con:
            cached = (con, con.cursor())
            self._local.cursor = cached
        return cached[1]

    def close(self) -> None:
        self._con.close()

    def secret_hash(self, code: str) -> str | None:
        cursor = self._cursor()
        cursor.execute("select secret_hash from store.lookup.pupil where student_code = ?", [code])
        rows = cursor.fetchall()
        return str(rows[0][0]) if rows else None

    def card(self, code: str) -> PupilCard | None:
        """The pupil's whole answer: one indexed read of ``lookup.card`` (fetchall, no Arrow round trip:
        cheaper for one row)."""
        cursor = self._cursor()
        cursor.execute("select * from store.lookup.card where student_code = ?", [code])
        rows = cursor.fetchall()
        description = cursor.description
        if len(rows) != 1:
            return None
        values = dict(zip([d[0] for d in description], rows[0], strict=True))
        types = {d[0]: d[1] for d in description}
        lists = {name: _frame(values.pop(name) or [], types[name]) for name in _CARD_LISTS}
        return PupilCard(pupil=values, **lists)
