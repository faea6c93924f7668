"""The main pipeline: exports → lake (one mapped task per region) → dbt (Cosmos) → quality gate → publish.

Thin on purpose: every task calls a function of ``massar.pipeline``, which the ``massar`` command calls too.
Nothing heavy runs at import time (Cosmos reads the dbt manifest when one exists).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from massar import pipeline
from massar.settings import DBT_PROJECT_DIR, export_environment, paths

ENV = export_environment()
PUBLISHED_WAREHOUSE = Asset("massar://warehouse/published")
MANIFEST = paths().dbt_target / "manifest.json"

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
        totals = {
            k: sum(r[k] for r in per_region)
            for k in ("files", "rows_in", "rows_accepted", "rows_quarantined")
        }
        if totals["rows_in"] != totals["rows_accepted"] + totals["rows_quarantined"]:
            raise ValueError(f"rows in != accepted + quarantined: {totals}")
        return totals

    dbt_build = DbtTaskGroup(
        group_id="dbt_build",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=MANIFEST if MANIFEST.exists() else None,
            install_dbt_deps=False,
            env_vars=ENV,
        ),
        profile_config=ProfileConfig(
            profile_name="massar", target_name="dev", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            # In a subprocess, dbt's DuckDB connection closes with it, so later tasks can open the file.
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=pipeline.dbt_executable(),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.DBT_LS,
            test_behavior=TestBehavior.BUILD,
        ),
        operator_args={"pool": pipeline.WRITER_POOL, "install_deps": False},
    )

    @task(pool=pipeline.WRITER_POOL)
    def quality_gate() -> dict[str, object]:
        return pipeline.check_candidate()

    @task(pool=pipeline.WRITER_POOL, outlets=[PUBLISHED_WAREHOUSE])
    def publish() -> str:
        return pipeline.publish_candidate()

    ingested = ingest_region.expand(region_code=list_regions())
    reconcile(ingested) >> dbt_build >> quality_gate() >> publish()


massar_pipeline()
