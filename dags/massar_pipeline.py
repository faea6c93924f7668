"""The main pipeline: exports → lake (one mapped task per region) → dbt (Cosmos) → quality gate → publish.

Thin on purpose: every task calls a function of ``massar.pipeline``, which the ``massar`` command calls too.
Nothing heavy runs at import time. Shared task building lives in ``dags/_massar_tasks.py``.

dbt runs through Cosmos operators, one ``dbt build`` per layer (seeds, staging, marts) rather than Cosmos's
``DbtTaskGroup`` (one task per model, one per model's tests): every task starts dbt and parses the project.
Measured on the 3,000-pupil demo (``benchmarks/bench_cosmos_rendering.py``, ``dag.test()``, 2 shared cores):
the staging layer as one task 35 s; as a task group about 17.6 s per task, 47 tasks for staging (about
14 min) and about 230 for the project (about 67 min, against about 3 min for the three layers). dbt's own run
results and docs keep the per-model detail. Cosmos's ``ExecutionMode.WATCHER`` (one build, per-model
sensors) would give both, but it is experimental and deadlocks under ``dag.test()``.

Write-audit-publish: the candidate warehouse starts as a copy of the published version, dbt builds into
it, Great Expectations gates it (critical failures stop here), and publish swaps a new version in.
"""

from __future__ import annotations

from datetime import datetime

from _massar_tasks import DEFAULT_ARGS, build_check_publish, list_regions, reconcile, writes
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
    @task(max_active_tis_per_dag=2)
    @writes
    def ingest_region(region_code: str) -> dict[str, int]:
        return pipeline.ingest_region(region_code)

    ingested = ingest_region.expand(region_code=list_regions())
    build_check_publish(reconcile(ingested))


massar_pipeline()
