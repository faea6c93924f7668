"""Running the Airflow DAGs from the ``massar`` command (embedded: SQLite metadata under $MASSAR_HOME)."""

from __future__ import annotations

import logging
import time

from massar.pipeline import WRITER_POOL
from massar.settings import DAGS_DIR, export_environment

log = logging.getLogger(__name__)

MAIN_DAG = "massar_pipeline"


def prepare_airflow() -> None:
    """Point Airflow at $MASSAR_HOME/airflow, create its metadata database and the DuckDB writer pool.

    Must run before anything imports ``airflow`` in this process (Airflow reads its settings at import).
    """
    env = export_environment()
    from pathlib import Path

    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    # One writer at a time for the DuckDB warehouse: DuckDB allows a single writing process per file.
    Pool.create_or_update_pool(
        WRITER_POOL, slots=1, description="DuckDB warehouse writer", include_deferred=False
    )


def run_dag(dag_id: str = MAIN_DAG) -> str:
    """Run one DAG to completion in this process with ``dag.test()``; returns the final state."""
    prepare_airflow()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise KeyError(f"no DAG {dag_id!r} in {DAGS_DIR}")
    started = time.monotonic()
    run = dag.test()
    state = str(run.state)
    log.info("DAG %s finished %s in %.1f s", dag_id, state, time.monotonic() - started)
    return state.split(".")[-1].lower()
