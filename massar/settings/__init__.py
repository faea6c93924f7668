"""Settings and secrets: the leaf of the project, importing nothing of it but its own modules.

- ``locations``: where things live (``paths()``, under ``MASSAR_HOME``), re-exported here;
- ``keys``: the server's secret keys; ``production``: production mode and its checks;
- ``hashing``: the PBKDF2 and HMAC hashing every layer uses; ``lookup_secrets``: the stored form of a
  parent access secret;
- here: the environment dbt, Airflow and subprocesses receive (``export_environment``) and DuckDB's
  memory limit.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from massar.settings import production
from massar.settings.keys import server_key
from massar.settings.locations import (
    DAGS_DIR,
    DASHBOARDS_DIR,
    DBT_PROJECT_DIR,
    HOME_ENV,
    REFERENCE_DIR,
    REPO_ROOT,
    RESTRICTED_DB_ENV,
    RESTRICTED_DB_NAME,
    SEEDS_DIR,
    Paths,
    paths,
    restrict_access,
    restricted_companion,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "DAGS_DIR",
    "DASHBOARDS_DIR",
    "DBT_PROJECT_DIR",
    "DEFAULT_MEMORY_LIMIT",
    "HOME_ENV",
    "MEMORY_LIMIT_ENV",
    "PSEUDONYM_SALT_ENV",
    "REFERENCE_DIR",
    "REPO_ROOT",
    "RESTRICTED_DB_ENV",
    "RESTRICTED_DB_NAME",
    "SEEDS_DIR",
    "Paths",
    "duckdb_memory_limit",
    "export_environment",
    "limit_memory",
    "paths",
    "restrict_access",
    "restricted_companion",
]

#: How dbt receives the pseudonym salt (dbt_project.yml reads it with no default): ``export_environment``
#: sets it from the server key ``pseudonym`` (``massar.settings.keys``: ``$MASSAR_HOME/keys/pseudonym.key``,
#: or ``MASSAR_PSEUDONYM_KEY``). Not a setting: to choose the salt, set ``MASSAR_PSEUDONYM_KEY``.
PSEUDONYM_SALT_ENV = "MASSAR_PSEUDONYM_SALT"
#: DuckDB's memory limit for the project's heavy work: dbt's profile (dbt/profiles.yml) reads the same
#: variable. DuckDB's own default is 80 % of RAM per process; beyond the limit it spills to disk.
MEMORY_LIMIT_ENV = "MASSAR_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "50%"
_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(%|[kmgt]i?b|bytes)", re.IGNORECASE)


def export_environment() -> dict[str, str]:
    """Environment variables that dbt, Airflow and subprocesses need, derived from ``paths()``.

    Sets them in ``os.environ`` too, so that child processes inherit the same locations.
    """
    p = paths()
    env = {
        HOME_ENV: str(p.home),
        "MASSAR_LAKE_DIR": str(p.lake),
        "MASSAR_CANDIDATE_DB": str(p.candidate_db),
        RESTRICTED_DB_ENV: str(p.restricted_db),
        "AIRFLOW_HOME": os.environ.get("AIRFLOW_HOME") or str(p.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # no usage report leaves the machine (Cosmos would call its telemetry host at every dbt task)
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(p.dbt_target),
        MEMORY_LIMIT_ENV: duckdb_memory_limit(),  # validated here, before dbt's profile reads it
        PSEUDONYM_SALT_ENV: _pseudonym_salt(),
    }
    if not env[PSEUDONYM_SALT_ENV]:
        del env[PSEUDONYM_SALT_ENV]
        os.environ.pop(PSEUDONYM_SALT_ENV, None)
    os.environ.update(env)
    p.warehouse.mkdir(parents=True, exist_ok=True)
    p.restricted_db.parent.mkdir(exist_ok=True)
    os.chmod(p.restricted_db.parent, 0o700)
    restrict_access(p.restricted_db)
    return env


def _pseudonym_salt() -> str:
    """The pseudonym key of the current home, for dbt (whatever ``MASSAR_PSEUDONYM_SALT`` held before is
    replaced: the salt is chosen with ``MASSAR_PSEUDONYM_KEY``). Empty in production mode when the key is
    missing or weak: production never generates it silently, and dbt stops on the missing variable."""
    if production.is_production() and production.key_problem("pseudonym"):
        return ""
    return server_key("pseudonym").decode()


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
