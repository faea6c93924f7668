"""Backfill: the daily drops of a date range (params ``start`` and ``end``, inclusive), one mapped ingestion
per region over all the range's school days, then one incremental build, gate and publish."""

from __future__ import annotations

from datetime import datetime

from _massar_tasks import (
    DEFAULT_ARGS,
    EXCLUDED,
    SELECTED,
    build_check_publish,
    dbt_selector,
    list_regions,
    reconcile,
    writes,
)
from airflow.sdk import Param, dag, get_current_context, task

from massar import pipeline


@dag(
    dag_id="massar_backfill",
    description="Load the daily drops of a date range, rebuild incrementally, gate, publish.",
    schedule=None,
    start_date=datetime(2025, 9, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param("2025-09-08", type="string", format="date", description="First day (yyyy-mm-dd)."),
        "end": Param("2025-09-13", type="string", format="date", description="Last day (yyyy-mm-dd)."),
    },
    tags=["massar", "backfill"],
)
def massar_backfill() -> None:
    @task
    def days_in_range() -> list[str]:
        params = get_current_context()["params"]
        return pipeline.school_days(str(params["start"]), str(params["end"]))

    @task(max_active_tis_per_dag=2)
    @writes
    def ingest_region_drops(region_code: str, days: list[str]) -> dict[str, int]:
        return pipeline.ingest_region_drops(region_code, days)

    days = days_in_range()
    ingested = ingest_region_drops.partial(days=days).expand(region_code=list_regions())
    build_check_publish([reconcile(ingested), dbt_selector(days)], select=SELECTED, exclude=EXCLUDED)


massar_backfill()
