"""The main pipeline: exports → lake (one mapped task per region) → dbt (Cosmos) → quality gate → publish.

Thin on purpose: every task calls a function of ``massar.pipeline``, which the ``massar`` command calls too.
Nothing heavy runs at import time. Shared task building lives in ``dags/_massar_tasks.py``.

dbt runs through Cosmos operators, one ``dbt build`` per layer (seeds, staging, marts) rather than one
task per model: on a 2-core machine each dbt process costs seconds to start, and one task per model made
the tiny-country run 20x slower (about 230 s instead of 12 s) for no gain in what we can observe; dbt's own
run results and docs keep the per-model detail. Cosmos's ``ExecutionMode.WATCHER`` (one build, per-model
sensors) would give both, but it is experimental and deadlocks under ``dag.test()``.

Write-audit-publish: the candidate warehouse starts as a copy of the published version, dbt builds into
it, Great Expectations gates it (critical failures stop here), and publish swaps a new version in.
"""

from __future__ import annotations

from datetime import datetime

from _massar_tasks import DEFAULT_ARGS, LAKE, build_check_publish, list_regions, reconcile, writes
from airflow.sdk import dag, task

from massar import pipeline


@dag(
    dag_id="massar_pipeline",
    description="Ingest Massar exports, build the warehouse with dbt, gate it with GX, publish.",
    schedule=None,
    start_date=datetime(2024, 9, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["massar", "pipeline"],
)
def massar_pipeline() -> None:
    @task(max_active_tis_per_dag=2, outlets=[LAKE])
    @writes
    def ingest_region(region_code: str) -> dict[str, int]:
        return pipeline.ingest_region(region_code)

    ingested = ingest_region.expand(region_code=list_regions())
    build_check_publish(reconcile(ingested))


massar_pipeline()
