"""Daily: the day's drops per region (mapped), incremental dbt via Cosmos, quality gate, publish, then the
directorates' absence alerts of the day by e-mail (``dashboards.alerts``, as ``massar alerts send``).

Runs at 20:00 (Casablanca) from Monday to Saturday; the day processed is the run's date, or the ``day``
param (``yyyy-mm-dd``) of a manual run. A Deadline Alert writes to the alerts log when the day's data is not
published in time (``MASSAR_PUBLISH_DEADLINE_HOURS`` after the run is queued, 3 h by default).
"""

from __future__ import annotations

from datetime import datetime

from _massar_tasks import (
    DEFAULT_ARGS,
    EXCLUDED,
    SELECTED,
    build_check_publish,
    dbt_selector,
    list_regions,
    publish_deadline,
    reconcile,
    writes,
)
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

from dashboards import alerts
from massar import pipeline

DAG_ID = "massar_daily"


@dag(
    dag_id=DAG_ID,
    description="One school day: the day's drops per region, incremental dbt, quality gate, publish, alerts.",
    schedule=CronTriggerTimetable("0 20 * * 1-6", timezone="Africa/Casablanca"),
    start_date=datetime(2025, 9, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"day": Param(None, type=["null", "string"], description="School day to load (yyyy-mm-dd).")},
    deadline=publish_deadline(DAG_ID),
    tags=["massar", "daily"],
)
def massar_daily() -> None:
    @task
    def the_day() -> list[str]:
        context = get_current_context()
        day = context["params"].get("day")
        if not day:
            stamp = context.get("logical_date") or context["dag_run"].run_after
            day = stamp.date().isoformat()
        return [day]

    @task(max_active_tis_per_dag=2)
    @writes
    def ingest_region_drops(region_code: str, days: list[str]) -> dict[str, int]:
        return pipeline.ingest_region_drops(region_code, days)

    days = the_day()
    ingested = ingest_region_drops.partial(days=days).expand(region_code=list_regions())
    # Incremental: the candidate is the published version; dbt rebuilds only what the day's sources feed.
    published = build_check_publish(
        [reconcile(ingested), dbt_selector(days)], select=SELECTED, exclude=EXCLUDED
    )

    @task
    def send_absence_alerts(days: list[str]) -> dict[str, object]:
        """The day's absence alerts from the published warehouse, e-mailed to the subscribers through
        Airflow's SMTP notifier (connection ``massar_smtp``)."""
        return alerts.send_alerts(days[-1], context=get_current_context())

    published >> send_absence_alerts(days)


massar_daily()
