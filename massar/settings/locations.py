"""Where things live. Every path the platform uses is derived here, from one environment variable.

``MASSAR_HOME`` (default: ``<repo>/data``, gitignored) holds all data files:

    exports/      synthetic or real operational exports (CSV drops)
    lake/         the Parquet lake, hive-partitioned by entity, school year and region
    warehouse/    candidate.duckdb (dbt builds here) and published/ versions; restricted/restricted.duckdb
                  (mode 0600 in a 0700 folder): the pupils' identity, which dbt builds beside the candidate
                  and only the lookup-store builder reads (never copied into a published version)
    airflow/      AIRFLOW_HOME (SQLite metadata, logs)
    gx/           Great Expectations project (suites, validation results, Data Docs)

Also the memory limit of the project's DuckDB work (``MASSAR_DUCKDB_MEMORY_LIMIT``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
DAGS_DIR = REPO_ROOT / "dags"
DASHBOARDS_DIR = REPO_ROOT / "dashboards"
REFERENCE_DIR = SEEDS_DIR / "geo"

HOME_ENV = "MASSAR_HOME"
#: How dbt receives the restricted file's path (dbt/profiles.yml attaches it as database ``restricted``).
RESTRICTED_DB_ENV = "MASSAR_RESTRICTED_DB"
RESTRICTED_DB_NAME = "restricted.duckdb"
#: DuckDB's memory limit for the project's heavy work: dbt's profile (dbt/profiles.yml) reads the same
#: variable. DuckDB's own default is 80 % of RAM per process; beyond the limit it spills to disk.
MEMORY_LIMIT_ENV = "MASSAR_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "50%"
_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(%|[kmgt]i?b|bytes)", re.IGNORECASE)


@dataclass(frozen=True)
class Paths:
    """All data locations under one root."""

    home: Path

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def quarantine(self) -> Path:
        return self.lake / "_quarantine"

    @property
    def load_log(self) -> Path:
        return self.lake / "_load_log"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def candidate_db(self) -> Path:
        return self.warehouse / "candidate.duckdb"

    @property
    def restricted_db(self) -> Path:
        """The restricted file of the candidate (``restricted_companion``)."""
        return restricted_companion(self.candidate_db)

    @property
    def published_dir(self) -> Path:
        return self.warehouse / "published"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def gx_root(self) -> Path:
        return self.home / "gx"

    @property
    def data_docs_index(self) -> Path:
        return self.gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def dbt_target(self) -> Path:
        return self.home / "dbt-target"

    @property
    def spark_dir(self) -> Path:
        """The Spark target's local state (dbt/profiles.yml, target ``spark``): its warehouse folder (the
        tables dbt builds on Spark) and its Derby metastore."""
        return self.home / "spark"


def restricted_companion(candidate_db: Path) -> Path:
    """The restricted DuckDB file dbt builds beside ``candidate_db``: the pupils' identity (names, birth
    date, guardian, parent-secret hash), the pupil-level staging and intermediate views that carry it,
    and the parent lookup's serving models. Its catalog name is ``restricted``, the alias dbt attaches it
    under, so it opens alone too. It sits in a folder of its own (mode 0700): DuckDB's write-ahead log
    and temporary files there are private as well."""
    return candidate_db.parent / "restricted" / RESTRICTED_DB_NAME


def restrict_access(db: Path) -> None:
    """Make a DuckDB file (and its write-ahead log) readable by the owner only (0600)."""
    for f in (db, db.with_name(db.name + ".wal")):
        if f.exists():
            os.chmod(f, 0o600)


def paths() -> Paths:
    """The current data locations (re-read from the environment on every call)."""
    home = Path(os.environ.get(HOME_ENV) or REPO_ROOT / "data").resolve()
    return Paths(home=home)


def duckdb_memory_limit() -> str:
    """The memory limit DuckDB work of the project runs under (``MASSAR_DUCKDB_MEMORY_LIMIT``, default
    50 % of RAM), as DuckDB's ``memory_limit`` setting takes it: a percentage or a size (``12GB``)."""
    value = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT).strip()
    if not _MEMORY_LIMIT.fullmatch(value):
        raise ValueError(f"{MEMORY_LIMIT_ENV}={value!r}: expected a percentage (50%) or a size (12GB)")
    return value


def limit_memory(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Apply ``duckdb_memory_limit()`` to the database instance of ``con`` (a setting of the instance,
    so connections sharing it agree); returns ``con``."""
    con.execute(f"set memory_limit = '{duckdb_memory_limit()}'")  # validated above: no quote can get in
    return con
