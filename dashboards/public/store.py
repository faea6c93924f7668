"""The narrow serving store of the lookup: exactly what the page shows, keyed by pupil code.

A small DuckDB file (``$MASSAR_HOME/serving/parent_lookup.duckdb``) built from the published warehouse at
publish time, opened read-only. Two tables, in schema ``lookup`` and keyed by ``student_code``:

- ``pupil``: identity, school, level, class, year, annual average and decision, certificate verification
  code, and ``secret_hash`` (the salted slow hash of the parent secret);
- ``card``: the whole answer in one row per pupil: ``pupil`` without the secret hash, and lists of
  structs built from the ``serving.lookup_*`` models (``massar/serving.py``): ``subject_results``
  (averages per subject and semester, with the rank in class), ``absences`` (absent days, sessions,
  justified), ``timetable`` (the class's week), ``exams`` (certificate exam marks) and
  ``exam_calendar`` (dates of the certificate exam papers of the pupil's level and of the class's
  unified tests).
A lookup reads the secret hash (one indexed point query), and only after the secret is verified, the
card (one more). Every query is parameterized and filtered by one pupil code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from massar.settings import paths

STORE_NAME = "parent_lookup.duckdb"
STATE_NAME = "lookup_state.sqlite"


def store_path() -> Path:
    return paths().home / "serving" / STORE_NAME


def state_path() -> Path:
    return paths().home / "serving" / STATE_NAME


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
    """Read-only access to the lookup store: one connection, a cursor per query (thread-safe)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or store_path()
        # DuckDB's default threads: tried with one thread, the card read at 1M pupils got slower (p50 1.4 ->
        # 3-8 ms, benchmarks/bench_lookup.py), the list columns decoding in parallel.
        self._con = duckdb.connect(str(self.path), read_only=True)

    def close(self) -> None:
        self._con.close()

    def secret_hash(self, code: str) -> str | None:
        cursor = self._con.cursor()
        try:
            cursor.execute("select secret_hash from lookup.pupil where student_code = ?", [code])
            row = cursor.fetchone()
        finally:
            cursor.close()
        return str(row[0]) if row else None

    def card(self, code: str) -> PupilCard | None:
        """The pupil's whole answer: one indexed read of ``lookup.card`` (fetchall, no Arrow round trip:
        cheaper for one row)."""
        cursor = self._con.cursor()
        try:
            cursor.execute("select * from lookup.card where student_code = ?", [code])
            rows = cursor.fetchall()
            description = cursor.description
        finally:
            cursor.close()
        if len(rows) != 1:
            return None
        values = dict(zip([d[0] for d in description], rows[0], strict=True))
        types = {d[0]: d[1] for d in description}
        lists = {name: _frame(values.pop(name) or [], types[name]) for name in _CARD_LISTS}
        return PupilCard(pupil=values, **lists)
