"""The narrow serving store of the lookup: exactly what the page shows, keyed by pupil code.

A small DuckDB file (``$MASSAR_HOME/serving/parent_lookup.duckdb``) built from the published warehouse at
publish time, opened read-only. Tables, all in schema ``lookup`` and keyed by ``student_code``:

- ``pupil``: identity, school, level, class, year, annual average and decision, certificate verification
  code, and ``secret_hash`` (the salted slow hash of the parent secret);
- ``subject_result``: averages per subject and semester, with the rank in class;
- ``absence``: absent days with the number of sessions and whether justified;
- ``timetable``: the class's weekly timetable;
- ``exam``: certificate exam marks.
Every query is parameterized and filtered by one pupil code.
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


class ServingStore:
    """Read-only access to the lookup store: one connection, a cursor per query (thread-safe)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or store_path()
        self._con = duckdb.connect(str(self.path), read_only=True)

    def close(self) -> None:
        self._con.close()

    def _query(self, sql: str, code: str) -> pl.DataFrame:
        # fetchall + a small frame: cheaper than an Arrow round trip for the few rows of one pupil
        cursor = self._con.cursor()
        try:
            cursor.execute(sql, [code])
            columns = [d[0] for d in cursor.description]
            return pl.DataFrame(cursor.fetchall(), schema=columns, orient="row")
        finally:
            cursor.close()

    def secret_hash(self, code: str) -> str | None:
        rows = self._query("select secret_hash from lookup.pupil where student_code = ?", code)
        return str(rows["secret_hash"][0]) if rows.height else None

    def card(self, code: str) -> PupilCard | None:
        pupil = self._query("select * exclude (secret_hash) from lookup.pupil where student_code = ?", code)
        if pupil.height != 1:
            return None
        return PupilCard(
            pupil=pupil.row(0, named=True),
            subject_results=self._query(
                "select * exclude (student_code) from lookup.subject_result where student_code = ? "
                "order by semester, subject_code",
                code,
            ),
            absences=self._query(
                "select * exclude (student_code) from lookup.absence where student_code = ? "
                "order by absence_date",
                code,
            ),
            timetable=self._query(
                "select * exclude (student_code) from lookup.timetable where student_code = ? "
                "order by weekday, session_number",
                code,
            ),
            exams=self._query(
                "select * exclude (student_code) from lookup.exam where student_code = ? "
                "order by exam_code, exam_session, subject_code",
                code,
            ),
        )
