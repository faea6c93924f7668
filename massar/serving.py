"""Export the parent lookup's serving store from a published warehouse version.

The public lookup app opens only this small file, never the warehouse: it holds exactly what the page
shows (dbt models ``serving.lookup_*``), copied into schema ``lookup`` of
``$MASSAR_HOME/serving/parent_lookup.duckdb``. Written under a temporary name and renamed into place, so
the app sees the old store or the new one.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from massar.settings import paths

TABLES = ("pupil", "subject_result", "absence", "timetable", "exam")


def lookup_store_path() -> Path:
    return paths().home / "serving" / "parent_lookup.duckdb"


def build_lookup_store(published_db: Path, target: Path | None = None) -> Path:
    """Copy ``serving.lookup_*`` of ``published_db`` into a fresh serving store, indexed by pupil code."""
    target = target or lookup_store_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        con.execute("attach ? as published (read_only)", [str(published_db)])
        con.execute("create schema lookup")
        for table in TABLES:  # constant names
            con.execute(f"create table lookup.{table} as select * from published.serving.lookup_{table}")
            con.execute(f"create index {table}_code on lookup.{table} (student_code)")
        con.execute("detach published")
        con.execute("checkpoint")
    os.replace(tmp, target)
    return target
