"""Maintenance, after every publication (asset-scheduled): compact small Parquet files in the lake and
prune published warehouse versions beyond the newest ``MASSAR_KEEP_VERSIONS``.

Compaction runs in the DuckDB writer pool, so no dbt build or gate reads the lake meanwhile, and it only
touches partitions without a pending ingestion batch (see ``warehouse/compaction.py``).
"""

from __future__ import annotations

from datetime import datetime

from _massar_tasks import DEFAULT_ARGS, KEEP_VERSIONS, PUBLISHED_WAREHOUSE, writes
from airflow.sdk import dag, task

from massar import pipeline


@dag(
    dag_id="massar_maintenance",
    description="Compact small lake files, prune old published versions.",
    schedule=[PUBLISHED_WAREHOUSE],
    start_date=datetime(2025, 9, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["massar", "maintenance"],
)
def massar_maintenance() -> None:
    @task(pool=pipeline.WRITER_POOL)
    @writes
    def compact_lake() -> dict[str, int]:
        return pipeline.compact_lake()

    @task(pool=pipeline.WRITER_POOL)
    @writes
    def prune_versions() -> list[str]:
        return pipeline.prune_versions(KEEP_VERSIONS)

    compact_lake() >> prune_versions()


massar_maintenance()
