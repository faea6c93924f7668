"""DAG integrity: every DAG file imports cleanly, fast, with owners, retries and tags set."""

from __future__ import annotations

import time

import pytest

from massar.settings import DAGS_DIR


@pytest.fixture(scope="module")
def dagbag():
    from massar.orchestration import prepare_airflow

    prepare_airflow()
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(DAGS_DIR))
    print(f"\nDagBag parse: {time.perf_counter() - started:.2f} s for {len(bag.dags)} DAG(s)")
    for stat in bag.dagbag_stats:
        print(f"  {stat.file}: {stat.duration}")
    return bag


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert "massar_pipeline" in dagbag.dags


def test_every_task_has_owner_retries_and_every_dag_tags(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        for t in dag.tasks:
            assert t.owner and t.owner != "airflow", f"{dag_id}.{t.task_id} has no owner"
            assert t.retries >= 1, f"{dag_id}.{t.task_id} has no retries"


def test_pipeline_shape(dagbag) -> None:
    dag = dagbag.dags["massar_pipeline"]
    ids = set(dag.task_ids)
    assert {"list_regions", "ingest_region", "reconcile", "quality_gate", "publish"} <= ids
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_build.")]
    assert dbt_tasks, "dbt must run through Cosmos task(s)"
    # Everything that writes the DuckDB warehouse shares the single-slot writer pool.
    for t in [*dbt_tasks, dag.get_task("quality_gate"), dag.get_task("publish")]:
        assert t.pool == "duckdb_writer", t.task_id
    # The gate stands between dbt and publishing.
    assert "quality_gate" in dag.get_task("publish").upstream_task_ids
    # Ingestion fans out: one mapped task instance per region.
    assert type(dag.get_task("ingest_region")).__name__.endswith("MappedOperator")
