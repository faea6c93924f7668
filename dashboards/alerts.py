"""Absence alerts for the directorates: absence spikes and schools that did not record attendance, per
school and school day, sent by e-mail to the subscribers of a territory (a region or a province).

- **Rules** (``dashboards.absence_rules``, the absence page's own): a school's absence rate above its usual
  level (``spike``); a school where none or only some classes took their roll call (``missing_recording``).
- **Detection**: :func:`record_alerts` reads the published warehouse and records the day's alerts in the
  alert store, one per kind, school and day (idempotent: a second run records nothing new and keeps the
  acknowledgments).
- **Store**: ``$MASSAR_HOME/alerts/absence_alerts.sqlite`` (SQLite in WAL mode): subscriptions (e-mail
  address, territory, kinds), alerts (open until acknowledged: by whom, when), deliveries (which
  subscription was sent which alert, so that a re-run sends nothing twice).
- **Sending**: :func:`send_alerts`, called by the daily DAG's ``send_absence_alerts`` task and by
  ``massar alerts send``: one bilingual message (French, Arabic) per subscription, through Airflow's
  ``SmtpNotifier`` on the Airflow connection ``massar_smtp`` (``AIRFLOW_CONN_MASSAR_SMTP``, or built from the
  ``MASSAR_ALERT_SMTP_*`` settings by :func:`smtp_connection`).

Who may subscribe or acknowledge where is checked by the dashboards' access layer
(``dashboards.data_access.alerts``), which calls the store functions here with a territory inside the user's
scope.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal

from dashboards.absence_rules import (
    MISSING_RECORDING_SQL,
    MISSING_RECORDING_STATUSES,
    SPIKE_K,
    spike_params,
    spikes_sql,
)
from dashboards.i18n import fmt_date, fmt_int, fmt_pct, t
from dashboards.sqlite_wal import connect_wal
from massar.settings import paths
from warehouse.publish import connect_current

log = logging.getLogger(__name__)

Kind = Literal["spike", "missing_recording"]
KINDS: Final[tuple[Kind, ...]] = ("spike", "missing_recording")

STORE_FILE: Final[str] = "absence_alerts.sqlite"
#: the Airflow connection the notifier sends through
SMTP_CONN_ID: Final[str] = "massar_smtp"
SMTP_CONN_ENV: Final[str] = "AIRFLOW_CONN_MASSAR_SMTP"
#: the dashboards' address as the recipients reach it (``https://tableau.example.ma``); empty: the link in
#: the message is the page's path alone
BASE_URL_ENV: Final[str] = "MASSAR_DASHBOARD_URL"
PAGE_PATH: Final[str] = "absence_monitoring"

_REGION = re.compile(r"\d{2}")
_PROVINCE = re.compile(r"\d{2}\.\d{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# Schools of the spike rule: names from marts.dim_school (constant SQL).
_SCHOOL_NAMES = (
    "select school_code as unit_code, school_name_fr as unit_name_fr, school_name_ar as unit_name_ar "
    "from marts.dim_school"
)

_SCHEMA = """
create table if not exists subscriptions (
    subscription_id integer primary key,
    email text not null,
    territory_code text not null,  -- a region (RR) or a province (RR.PPP)
    kinds text not null,           -- comma-separated kinds
    created_by text,
    created_at text not null,
    unique (email, territory_code)
);
create table if not exists alerts (
    alert_id integer primary key,
    kind text not null,
    calendar_date text not null,
    school_year text not null,
    region_code text not null,
    province_code text not null,
    school_code text not null,
    school_name_fr text,
    school_name_ar text,
    detail text not null,          -- JSON: the figures that raised the alert
    recorded_at text not null,
    acknowledged_by text,
    acknowledged_at text,
    unique (kind, school_code, calendar_date)
);
create table if not exists deliveries (
    alert_id integer not null references alerts (alert_id),
    subscription_id integer not null references subscriptions (subscription_id),
    email text not null,
    sent_at text not null,
    primary key (alert_id, subscription_id)
);
"""


class AlertError(ValueError):
    """A subscription that cannot be recorded (bad address, territory or kind)."""


@dataclass(frozen=True)
class Territory:
    """A subscription's territory: a region (``04``) or a province (``04.281``)."""

    code: str

    def __post_init__(self) -> None:
        if not (_REGION.fullmatch(self.code) or _PROVINCE.fullmatch(self.code)):
            raise AlertError(f"territory {self.code!r}: expected a region (RR) or a province (RR.PPP)")

    @property
    def region_code(self) -> str:
        return self.code[:2]

    @property
    def province_code(self) -> str | None:
        return self.code if "." in self.code else None

    def params(self) -> tuple[str | None, ...]:
        """``(region, region, province, province, school, school)`` of ``absence_rules.TERRITORY_FILTER``."""
        return (self.region_code, self.region_code, self.province_code, self.province_code, None, None)


def store_path() -> Path:
    return paths().home / "alerts" / STORE_FILE


@contextmanager
def store() -> Iterator[sqlite3.Connection]:
    """The alert store (created on first use), closed on exit; rows as ``sqlite3.Row``."""
    con = connect_wal(store_path())
    con.row_factory = sqlite3.Row
    try:
        con.executescript(_SCHEMA)
        yield con
    finally:
        con.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- subscriptions ------------------------------------------------------------------------------------


def subscribe(email: str, territory: str, kinds: Iterable[str], created_by: str | None = None) -> int:
    """Record (or update the kinds of) the subscription of ``email`` to ``territory``; its id.

    The caller checks that ``territory`` is within the user's scope (``dashboards.data_access.alerts``).
    """
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        raise AlertError(f"{email!r} is not an e-mail address")
    chosen = [k for k in KINDS if k in set(kinds)]
    unknown = set(kinds) - set(KINDS)
    if unknown or not chosen:
        raise AlertError(f"kinds {sorted(unknown) or '(none)'}: expected some of {KINDS}")
    code = Territory(territory).code
    with store() as con:
        con.execute(
            """
            insert into subscriptions (email, territory_code, kinds, created_by, created_at)
            values (?, ?, ?, ?, ?)
            on conflict (email, territory_code) do update set kinds = excluded.kinds
            """,
            (email, code, ",".join(chosen), created_by, _now()),
        )
        row = con.execute(
            "select subscription_id from subscriptions where email = ? and territory_code = ?", (email, code)
        ).fetchone()
    return int(row["subscription_id"])


def subscriptions(region: str | None = None, province: str | None = None) -> list[dict[str, Any]]:
    """The subscriptions whose territory lies within ``region`` / ``province`` (None: no filter)."""
    with store() as con:
        found = con.execute(
            """
            select subscription_id, email, territory_code, kinds, created_by, created_at
            from subscriptions
            where (? is null or substr(territory_code, 1, 2) = ?)
                and (? is null or territory_code = ?)
            order by territory_code, email
            """,
            (region, region, province, province),
        ).fetchall()
    return [{**dict(r), "kinds": r["kinds"].split(",")} for r in found]


def unsubscribe(subscription_id: int) -> bool:
    with store() as con:
        con.execute("delete from deliveries where subscription_id = ?", (subscription_id,))
        gone = con.execute("delete from subscriptions where subscription_id = ?", (subscription_id,))
        return gone.rowcount > 0


# --- detection ----------------------------------------------------------------------------------------


def _published() -> Any:
    return connect_current(paths().published_dir)


def alert_day(con: Any, day: date | str | None = None) -> tuple[str, date, int] | None:
    """``(school_year, day, school_day_number)`` of ``day`` (default: the last school day loaded in the
    country, in the latest school year), or None when the published warehouse has no class day then."""
    found = con.execute(
        """
        select school_year, calendar_date, max(school_day_number)
        from marts.agg_absence_class_daily
        where recording_status != 'no_file_received'
            and calendar_date = coalesce(
                cast(? as date),
                (select max(calendar_date) from marts.agg_absence_class_daily
                 where recording_status != 'no_file_received')
            )
        group by school_year, calendar_date
        """,
        [None if day is None else str(day)],
    ).fetchall()
    if not found:
        return None
    year, when, number = found[0]
    return str(year), when, int(number)


def _records(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def detect(
    con: Any, day: date | str | None = None, territory: Territory | None = None
) -> list[dict[str, Any]]:
    """The alerts of ``day`` (default: :func:`alert_day`'s) in ``territory`` (None: the country), computed
    from the published warehouse ``con``: one per kind and school, by kind then school code."""
    found = alert_day(con, day)
    if found is None:
        return []
    year, when, number = found
    where = territory.params() if territory else (None,) * 6
    spike_rows = _records(
        con.execute(spikes_sql("school_code", _SCHOOL_NAMES), list(spike_params(year, where, number, 1)))
    )
    missing_rows = _records(
        con.execute(MISSING_RECORDING_SQL, [year, when, *MISSING_RECORDING_STATUSES, *where])
    )
    places = {
        code: (region, province)
        for code, region, province in con.execute(
            "select school_code, region_code, province_code from marts.dim_school where school_code in "
            "(select unnest(?))",
            [[r["unit_code"] for r in spike_rows]],
        ).fetchall()
    }
    alerts = []
    for r in spike_rows:
        region, province = places.get(r["unit_code"], (None, None))
        alerts.append(
            {
                "kind": "spike",
                "calendar_date": when.isoformat(),
                "school_year": year,
                "region_code": region,
                "province_code": province,
                "school_code": r["unit_code"],
                "school_name_fr": r["unit_name_fr"],
                "school_name_ar": r["unit_name_ar"],
                "detail": {
                    "enrolled": r["enrolled"],
                    "absent": r["absent"],
                    "rate": r["rate"],
                    "usual_rate": r["usual_rate"],
                    "threshold": r["threshold"],
                    "k": SPIKE_K,
                },
            }
        )
    for r in missing_rows:
        alerts.append(
            {
                "kind": "missing_recording",
                "calendar_date": when.isoformat(),
                "school_year": year,
                "region_code": r["region_code"],
                "province_code": r["province_code"],
                "school_code": r["school_code"],
                "school_name_fr": r["school_name_fr"],
                "school_name_ar": r["school_name_ar"],
                "detail": {
                    "recording_status": r["recording_status"],
                    "classes": r["classes"],
                    "classes_recorded": r["classes_recorded"],
                },
            }
        )
    return sorted(
        (a for a in alerts if a["region_code"] is not None),
        key=lambda a: (KINDS.index(a["kind"]), a["school_code"]),
    )


def record_alerts(
    day: date | str | None = None, territory: str | None = None
) -> tuple[date | None, list[dict[str, Any]]]:
    """Compute the alerts of ``day`` (default: the last school day loaded) in ``territory`` (a region or a
    province code; None: the country) from the published warehouse and record them in the store (one per
    kind, school and day: recording again changes nothing). Returns the day and its open alerts in the
    territory, as :func:`open_alerts` gives them."""
    area = Territory(territory) if territory else None
    with closing(_published()) as con:
        found = alert_day(con, day)
        detected = detect(con, day, area) if found else []
    if found is None:
        return None, []
    with store() as con:
        con.executemany(
            """
            insert into alerts (kind, calendar_date, school_year, region_code, province_code, school_code,
                school_name_fr, school_name_ar, detail, recorded_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (kind, school_code, calendar_date) do nothing
            """,
            [
                (
                    a["kind"],
                    a["calendar_date"],
                    a["school_year"],
                    a["region_code"],
                    a["province_code"],
                    a["school_code"],
                    a["school_name_fr"],
                    a["school_name_ar"],
                    json.dumps(a["detail"], default=str),
                    _now(),
                )
                for a in detected
            ],
        )
    region = area.region_code if area else None
    province = area.province_code if area else None
    return found[1], open_alerts(region=region, province=province, day=found[1])


# --- alert state --------------------------------------------------------------------------------------


def _alert(row: sqlite3.Row) -> dict[str, Any]:
    return {**dict(row), "detail": json.loads(row["detail"])}


def open_alerts(
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    day: date | str | None = None,
    kinds: Iterable[str] = KINDS,
) -> list[dict[str, Any]]:
    """Alerts not acknowledged yet within the territory (None: no filter at that level), of ``day`` (None:
    every day) and ``kinds``; latest day first, then by kind and school."""
    with store() as con:
        found = con.execute(
            """
            select * from alerts
            where acknowledged_at is null
                and (? is null or region_code = ?)
                and (? is null or province_code = ?)
                and (? is null or school_code = ?)
                and (? is null or calendar_date = ?)
                and kind in (select value from json_each(?))
            order by calendar_date desc, kind desc, school_code
            """,
            (
                region,
                region,
                province,
                province,
                school,
                school,
                *(2 * [None if day is None else str(day)]),
                json.dumps(list(kinds)),
            ),
        ).fetchall()
    return [_alert(r) for r in found]


def get_alert(alert_id: int) -> dict[str, Any] | None:
    with store() as con:
        row = con.execute("select * from alerts where alert_id = ?", (alert_id,)).fetchone()
    return None if row is None else _alert(row)


def acknowledge(alert_id: int, user: str) -> bool:
    """Mark an open alert acknowledged by ``user`` now; False when it was not open. The caller checks that
    the alert lies within the user's scope."""
    with store() as con:
        return (
            con.execute(
                "update alerts set acknowledged_by = ?, acknowledged_at = ? "
                "where alert_id = ? and acknowledged_at is null",
                (user, _now(), alert_id),
            ).rowcount
            > 0
        )


# --- sending ------------------------------------------------------------------------------------------


def smtp_connection() -> str | None:
    """The Airflow connection ``massar_smtp`` the notifier uses: ``AIRFLOW_CONN_MASSAR_SMTP`` when set,
    else built from the settings ``MASSAR_ALERT_SMTP_HOST`` (required), ``_PORT`` (25), ``_USER``,
    ``_PASSWORD``, ``_SECURITY`` (``starttls``, ``ssl`` or ``none``; default ``starttls`` with a user, else
    ``none``) and ``MASSAR_ALERT_EMAIL_FROM``, and put in this process's environment. None: no SMTP server
    is configured (alerts are recorded, not sent)."""
    if os.environ.get(SMTP_CONN_ENV):
        return os.environ[SMTP_CONN_ENV]
    host = os.environ.get("MASSAR_ALERT_SMTP_HOST")
    if not host:
        return None
    user = os.environ.get("MASSAR_ALERT_SMTP_USER") or None
    security = os.environ.get("MASSAR_ALERT_SMTP_SECURITY") or ("starttls" if user else "none")
    if security not in ("starttls", "ssl", "none"):
        raise ValueError(f"MASSAR_ALERT_SMTP_SECURITY={security!r}: expected starttls, ssl or none")
    connection = {
        "conn_type": "smtp",
        "host": host,
        "port": int(os.environ.get("MASSAR_ALERT_SMTP_PORT") or (465 if security == "ssl" else 25)),
        "login": user,
        "password": os.environ.get("MASSAR_ALERT_SMTP_PASSWORD") or None,
        "extra": {
            "from_email": os.environ.get("MASSAR_ALERT_EMAIL_FROM") or "massar-alerts@localhost",
            "disable_ssl": security != "ssl",
            "disable_tls": security != "starttls",
            "timeout": 30,
            "retry_limit": 2,
        },
    }
    value = json.dumps(connection)
    os.environ[SMTP_CONN_ENV] = value
    return value


def send_mail(to: str | list[str], subject: str, html_content: str, context: Any = None) -> None:
    """One e-mail through Airflow's ``SmtpNotifier`` on the connection ``massar_smtp`` (see
    :func:`smtp_connection`); raises when no SMTP server is configured or the server refuses it."""
    if smtp_connection() is None:
        raise RuntimeError("no SMTP server configured (MASSAR_ALERT_SMTP_HOST or AIRFLOW_CONN_MASSAR_SMTP)")
    # imported when a message is sent: Airflow reads its settings at import, and importing it costs
    # about 11 s (python -X importtime), which the dashboards that import this module never pay
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    # notify() sends the given subject and body as they are (no template rendering of user text)
    SmtpNotifier(to=to, subject=subject, html_content=html_content, smtp_conn_id=SMTP_CONN_ID).notify(
        context or {}
    )


def page_link(territory: Territory, lang: str) -> str:
    """The absence page filtered on the territory: ``MASSAR_DASHBOARD_URL`` + the page's path."""
    base = os.environ.get(BASE_URL_ENV, "").rstrip("/")
    query = f"region={territory.region_code}"
    if territory.province_code:
        query += f"&province={territory.province_code}"
    return f"{base}/{PAGE_PATH}?{query}&lang={lang}"


def territory_names(territory: Territory) -> dict[str, str]:
    """``{"fr": ..., "ar": ...}`` names of the territory, from the published warehouse's reference."""
    with closing(_published()) as con:
        if territory.province_code:
            found = con.execute(
                "select name_fr, name_ar from reference.code_provinces where province_code = ?",
                [territory.province_code],
            ).fetchall()
        else:
            found = con.execute(
                "select name_fr, name_ar from reference.code_regions where region_code = ?",
                [territory.region_code],
            ).fetchall()
    fr, ar = found[0] if found else (territory.code, territory.code)
    return {"fr": f"{fr} ({territory.code})", "ar": f"{ar} ({territory.code})"}


def compose(territory: Territory, day: date, alerts: list[dict[str, Any]]) -> tuple[str, str]:
    """The subject and HTML body of one subscription's message: French, then Arabic (right to left)."""

    names = territory_names(territory)
    subject = " / ".join(
        t("alerts.mail.subject", lang, territory=names[lang], day=fmt_date(day, lang), count=len(alerts))
        for lang in ("fr", "ar")
    )
    parts = []
    for lang in ("fr", "ar"):
        items = []
        for a in alerts:
            d = a["detail"]
            if a["kind"] == "spike":
                what = t(
                    "alerts.mail.spike",
                    lang,
                    rate=fmt_pct(d["rate"], lang),
                    usual=fmt_pct(d["usual_rate"], lang),
                    absent=fmt_int(d["absent"], lang),
                )
            else:
                what = t(
                    "alerts.mail.missing_recording",
                    lang,
                    recorded=fmt_int(d["classes_recorded"] or 0, lang),
                    classes=fmt_int(d["classes"], lang),
                )
            school = html.escape(f"{a[f'school_name_{lang}']} ({a['school_code']})")
            items.append(f"<li><b>{school}</b> — {html.escape(what)}</li>")
        direction = "rtl" if lang == "ar" else "ltr"
        intro = t("alerts.mail.intro", lang, territory=names[lang], day=fmt_date(day, lang))
        link = html.escape(page_link(territory, lang), quote=True)
        parts.append(
            f'<div dir="{direction}" lang="{lang}">'
            f"<p>{html.escape(intro)}</p>"
            f"<ul>{''.join(items)}</ul>"
            f'<p><a href="{link}">{html.escape(t("alerts.mail.link", lang))}</a></p>'
            f"<p>{html.escape(t('alerts.mail.acknowledge', lang))}</p>"
            "</div>"
        )
    return subject, f"<html><body>{'<hr>'.join(parts)}</body></html>"


def send_alerts(day: date | str | None = None, context: Any = None) -> dict[str, Any]:
    """Record the day's alerts (the whole country, once) and send each subscription one message with its
    open alerts of that day not sent to it yet, of its kinds, in its territory. Without an SMTP server
    configured, the alerts are recorded and nothing is sent. Returns ``day, alerts, messages, sent_to``."""
    when, recorded = record_alerts(day)
    summary: dict[str, Any] = {
        "day": None if when is None else when.isoformat(),
        "alerts": len(recorded),
        "messages": 0,
        "sent_to": [],
    }
    if when is None:
        return summary
    configured = smtp_connection() is not None
    for sub in subscriptions():
        area = Territory(sub["territory_code"])
        with store() as con:
            sent = {
                r[0]
                for r in con.execute(
                    "select alert_id from deliveries where subscription_id = ?", (sub["subscription_id"],)
                )
            }
        due = [
            a
            for a in open_alerts(area.region_code, area.province_code, day=when, kinds=sub["kinds"])
            if a["alert_id"] not in sent
        ]
        if not due:
            continue
        if not configured:
            log.warning("no SMTP server configured: %d alert(s) for %s not sent", len(due), sub["email"])
            continue
        subject, body = compose(area, when, due)
        send_mail(sub["email"], subject, body, context)
        with store() as con:
            con.executemany(
                "insert or ignore into deliveries (alert_id, subscription_id, email, sent_at) "
                "values (?, ?, ?, ?)",
                [(a["alert_id"], sub["subscription_id"], sub["email"], _now()) for a in due],
            )
        summary["messages"] += 1
        summary["sent_to"].append(sub["email"])
    log.info("absence alerts of %s: %d open, %d message(s) sent", when, len(recorded), summary["messages"])
    return summary
