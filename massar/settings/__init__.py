"""Settings and secrets: the leaf of the project, importing nothing of it but its own modules.

- ``locations``: where things live (``paths()``, under ``MASSAR_HOME``) and DuckDB's memory limit,
  re-exported here;
- ``keys``: the server's secret keys; ``production``: production mode and its checks;
- ``hashing``: the PBKDF2 and HMAC hashing every layer uses; ``lookup_secrets``: the stored form of a
  parent access secret;
- here: the environment dbt, Airflow and subprocesses receive (``export_environment``).
"""

from __future__ import annotations

import os

from massar.settings import production
from massar.settings.keys import server_key
from massar.settings.locations import (
    DAGS_DIR,
    DASHBOARDS_DIR,
    DBT_PROJECT_DIR,
    DEFAULT_MEMORY_LIMIT,
    HOME_ENV,
    MEMORY_LIMIT_ENV,
    REFERENCE_DIR,
    REPO_ROOT,
    RESTRICTED_DB_ENV,
    RESTRICTED_DB_NAME,
    SEEDS_DIR,
    Paths,
    duckdb_memory_limit,
    limit_memory,
    paths,
    restrict_access,
    restricted_companion,
)

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
        "MASSAR_SPARK_DIR": str(p.spark_dir),
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
