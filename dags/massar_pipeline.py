"""The main pipeline: exports → lake (one mapped task per region) → dbt (Cosmos) → quality gate → publish.

Thin on purpose: every task calls a function of ``massar.pipeline``, which the ``massar`` command calls too.
Nothing heavy runs at import time.

dbt runs through Cosmos operators, one ``dbt build`` per layer (seeds, staging, marts) rather than one
task per model: on a 2-core machine each dbt process costs seconds to start, and one task per model made
the tiny-country run 20x slower (about 230 s instead of 12 s) for no gain in what we can observe; dbt's own
run results and docs keep the per-model detail. Cosmos's ``ExecutionMode.WATCHER`` (one build, per-model
sensors) would give both, but it is experimental and deadlocks under ``dag.test()``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, TaskGroup, dag, task
from cosmos import ProfileConfig
from cosmos.constants import InvocationMode
from cosmos.operators.local import DbtBuildLocalOperator

from massar import pipeline
from massar.settings import DBT_PROJECT_DIR, export_environment

ENV = export_environment()
PUBLISHED_WAREHOUSE = Asset("massar://warehouse/published")
PROFILE = ProfileConfig(
    profile_name="massar", target_name="dev", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
)

DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=2),
}


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
    @task
    def list_regions() -> list[str]:
        return pipeline.export_regions()

    @task(max_active_tis_per_dag=2)
    def ingest_region(region_code: str) -> dict[str, int]:
        return pipeline.ingest_region(region_code)

    @task
    def reconcile(per_region: list[dict[str, int]]) -> dict[str, int]:
        return pipeline.reconcile_regions(per_region)

    with TaskGroup("dbt_build") as dbt_build:
        previous = None
        for layer, selector in pipeline.DBT_LAYERS:
            step = DbtBuildLocalOperator(
                task_id=layer,
                project_dir=str(DBT_PROJECT_DIR),
                profile_config=PROFILE,
                select=selector,
                # a test runs with the layer where all its parents are built (or upstream)
                indirect_selection="buildable",
                invocation_mode=InvocationMode.SUBPROCESS,
                dbt_executable_path=pipeline.dbt_executable(),
                env=ENV,
                append_env=True,
                install_deps=False,
                pool=pipeline.WRITER_POOL,
            )
            if previous is not None:
                previous >> step
            previous = step

    @task(pool=pipeline.WRITER_POOL)
    def quality_gate() -> dict[str, object]:
        return pipeline.check_candidate()

    @task(pool=pipeline.WRITER_POOL, outlets=[PUBLISHED_WAREHOUSE])
    def publish() -> str:
        return pipeline.publish_candidate()

    ingested = ingest_region.expand(region_code=list_regions())
    reconcile(ingested) >> dbt_build >> quality_gate() >> publish()


massar_pipeline()
