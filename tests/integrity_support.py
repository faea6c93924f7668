"""A private copy of the session pipeline's home for tests that damage, back up or restore it."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from massar.settings import export_environment

#: What the copy leaves out: Airflow's folder, the candidate warehouse, dbt's target (not needed, big).
LEFT_OUT = ("airflow", "dbt-target", "candidate.duckdb", "candidate.duckdb.wal", "candidate.duckdb.published")


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*LEFT_OUT, "writer.lock"))
    return target


@contextmanager
def using_home(home: Path) -> Iterator[Path]:
    """``MASSAR_HOME`` (and the variables derived from it) point at ``home`` for the block."""
    previous = os.environ["MASSAR_HOME"]
    os.environ["MASSAR_HOME"] = str(home)
    export_environment()
    try:
        yield home
    finally:
        os.environ["MASSAR_HOME"] = previous
        export_environment()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_log(home: Path) -> pl.DataFrame:
    """The load-log records, read directly from their files (not through the code under test)."""
    files = sorted((home / "lake" / "_load_log").glob("region_code=*/*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


def a_loaded_batch(home: Path, entity: str = "grades") -> dict:
    """The load-log record of a loaded batch of ``entity`` with accepted rows, whose data file is its own
    (not merged by compaction)."""
    log = load_log(home).filter(
        (pl.col("entity") == entity) & (pl.col("status") == "loaded") & (pl.col("rows_accepted") > 0)
    )
    return log.sort("source_file").row(0, named=True)
