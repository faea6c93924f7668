"""Running the Airflow DAGs from the ``massar`` command (embedded: SQLite metadata under $MASSAR_HOME),
and the operational callbacks the DAGs use (alerts log, optional e-mail, deadline alerts).

Alerts are appended as JSON lines to ``$MASSAR_HOME/alerts/alerts.jsonl``. They are e-mailed too to
``MASSAR_ALERT_EMAIL_TO`` when an SMTP server is configured, through Airflow's SMTP notifier on the
connection ``massar_smtp`` (``dashboards.alerts.smtp_connection``: ``MASSAR_ALERT_SMTP_*`` settings or
``AIRFLOW_CONN_MASSAR_SMTP``).
"""

from __future__ import annotations

import html
import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboards.alerts import send_mail, smtp_connection
from massar.pipeline import WRITER_POOL
from massar.settings import DAGS_DIR, export_environment, paths

log = logging.getLogger(__name__)

MAIN_DAG = "massar_pipeline"
ALERTS_FILE = "alerts.jsonl"


def alerts_log() -> Path:
    return paths().home / "alerts" / ALERTS_FILE


def _send_mail(subject: str, body: str) -> None:
    """E-mail an operational alert to ``MASSAR_ALERT_EMAIL_TO`` when an SMTP server is configured."""

    to = os.environ.get("MASSAR_ALERT_EMAIL_TO")
    if not to or smtp_connection() is None:
        return
    try:
        send_mail(to, subject, f"<pre>{html.escape(body)}</pre>")
    except Exception as exc:  # an alert must never fail the task that raised it
        log.error("could not send the alert e-mail: %s", exc)


def write_alert(kind: str, **fields: Any) -> dict[str, Any]:
    """Append one alert to the alerts log (and e-mail it when SMTP is configured)."""
    record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "kind": kind, **fields}
    target = alerts_log()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    _send_mail(f"[massar] {kind}: {fields.get('dag_id', '')} {fields.get('task_id', '')}", json.dumps(record))
    return record


def on_task_failure(context: Any) -> None:
    """``on_failure_callback`` of every task: the failure goes to the alerts log."""
    ti = context.get("task_instance") or context.get("ti")
    write_alert(
        "task_failed",
        dag_id=getattr(ti, "dag_id", None),
        task_id=getattr(ti, "task_id", None),
        map_index=getattr(ti, "map_index", None),
        run_id=getattr(ti, "run_id", None),
        try_number=getattr(ti, "try_number", None),
        error=str(context.get("exception") or "")[:2000],
    )


def on_deadline_missed(context: Any = None, **kwargs: Any) -> None:
    """Deadline Alert callback: the day's data was not published by the set time."""
    dag_run = (context or {}).get("dag_run") if isinstance(context, dict) else None
    write_alert(
        "deadline_missed",
        dag_id=kwargs.get("dag_id") or getattr(dag_run, "dag_id", None),
        run_id=getattr(dag_run, "run_id", None),
        message=kwargs.get("message", "the day's data was not published in time"),
    )


def prepare_airflow() -> None:
    """Point Airflow at $MASSAR_HOME/airflow, create its metadata database and the DuckDB writer pool.

    Must run before anything imports ``airflow`` in this process (Airflow reads its settings at import).
    """
    env = export_environment()
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    # One writer at a time for the DuckDB warehouse: DuckDB allows a single writing process per file.
    Pool.create_or_update_pool(
        WRITER_POOL, slots=1, description="DuckDB warehouse writer", include_deferred=False
    )


def load_dagbag() -> Any:
    """Parse the DAG folder as Airflow 3 does for a DAG bundle: the folder is on ``sys.path``, so DAG files
    can import their helper module (``dags/_massar_tasks.py``)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(DAGS_DIR), bundle_path=DAGS_DIR)


def run_dag(dag_id: str = MAIN_DAG, conf: dict[str, Any] | None = None) -> str:
    """Run one DAG to completion in this process with ``dag.test()``; returns the final state."""
    prepare_airflow()
    bag = load_dagbag()
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise KeyError(f"no DAG {dag_id!r} in {DAGS_DIR}")
    if dag.deadline:
        # Deadline Alerts are registered and evaluated by the scheduler from the serialized DAG; Airflow
        # 3.3's dag.test() trips over the in-memory alerts (it looks them up by id), so it runs without.
        dag.deadline = None
    started = time.monotonic()
    run = dag.test(run_conf=conf)
    state = str(run.state)
    log.info("DAG %s finished %s in %.1f s", dag_id, state, time.monotonic() - started)
    return state.split(".")[-1].lower()
