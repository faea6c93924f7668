"""Data quality, read from the published warehouse: gate runs and their warnings, the publication record,
quarantine counts and freshness per region.

The quality gate's run history (``audit.gate_run``, ``audit.gate_failure``) and the publication record
(``audit.publication``) are written into every version by ``warehouse/publish.py``; ``audit.quarantine``
and ``audit.load_log`` are dbt models. Gate runs and publications concern the whole country: every scope
sees them (a region outside the scope still raises ``ScopeError``); quarantine and freshness are per
region and narrowed to the scope's region.
"""

from __future__ import annotations

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.scope import Scope

_HAS_TABLE = """
    select count(*) as n
    from information_schema.tables
    where table_schema = ? and table_name = ?
"""


def _has_table(schema: str, table: str) -> bool:
    """Whether the published version has the table (versions published before it existed lack it)."""
    return bool(_run(_HAS_TABLE, schema, table)["n"][0])


def publications(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """The publications recorded in the current version, latest first: ``version, published_at,
    gate_verdict, warnings_count, critical_count, gate_run_at, data_docs``."""
    scope.region_filter(region)
    return _run(
        """
        select version, published_at, gate_verdict, warnings_count, critical_count, gate_run_at, data_docs
        from audit.publication
        order by published_at desc
        """
    )


_GATE_RUN_COLUMNS = {
    "run_at": pl.String,
    "verdict": pl.String,
    "publishable": pl.Boolean,
    "suites": pl.Int32,
    "suites_failed": pl.Int32,
    "warnings_count": pl.Int32,
    "critical_count": pl.Int32,
}


def gate_runs(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """Every quality-gate run up to this version's, oldest first (blocked runs included):
    ``run_at, verdict, publishable, suites, suites_failed, warnings_count, critical_count``."""
    scope.region_filter(region)
    if not _has_table("audit", "gate_run"):
        return pl.DataFrame(schema=_GATE_RUN_COLUMNS)
    return _run(
        """
        select run_at, verdict, publishable, suites, suites_failed, warnings_count, critical_count
        from audit.gate_run
        order by run_at
        """
    )


_FAILURE_COLUMNS = {
    "run_at": pl.String,
    "suite": pl.String,
    "expectation": pl.String,
    "column_name": pl.String,
    "severity": pl.String,
    "description": pl.String,
    "on_failure": pl.String,
    "observed": pl.String,
}


def gate_warnings(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """The failed expectations of the gate run this version was published on (warnings only, since a
    critical failure blocks publishing): ``run_at, suite, expectation, column_name, severity,
    description, on_failure, observed``."""
    scope.region_filter(region)
    if not _has_table("audit", "gate_failure"):
        return pl.DataFrame(schema=_FAILURE_COLUMNS)
    return _run(
        """
        with published_run as (
            select gate_run_at from audit.publication order by published_at desc limit 1
        )
        select f.run_at, f.suite, f.expectation, f.column_name, f.severity, f.description, f.on_failure,
            f.observed
        from audit.gate_failure as f
        inner join published_run as p on f.run_at = p.gate_run_at
        order by f.severity, f.suite, f.expectation, f.column_name
        """
    )


def quarantine_counts(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """Quarantined rows by reason, region and entity (``audit.quarantine``), within the scope's region:
    ``reason_code, region_code, region_name_fr, region_name_ar, entity, rows``; most rows first."""
    region_code = scope.region_filter(region)
    return _run(
        """
        select
            q.reason_code,
            q.region_code,
            any_value(r.name_fr) as region_name_fr,
            any_value(r.name_ar) as region_name_ar,
            q.entity,
            count(*)::bigint as rows
        from audit.quarantine as q
        left join reference.code_regions as r on r.region_code = q.region_code
        where (cast(? as varchar) is null or q.region_code = ?)
        group by q.reason_code, q.region_code, q.entity
        order by rows desc, q.reason_code, q.region_code, q.entity
        """,
        region_code,
        region_code,
    )


def freshness(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """Per region of the scope, for the latest school year: the last school day loaded
    (``marts.agg_absence_freshness``), its lag in school days behind the most advanced region of the
    country, and the last load time (``audit.load_log``): ``region_code, region_name_fr, region_name_ar,
    school_year, last_day_loaded, school_days_behind, last_loaded_at``."""
    region_code = scope.region_filter(region)
    return _run(
        """
        with latest as (select max(school_year) as school_year from marts.agg_absence_freshness),
        days as (
            select f.*
            from marts.agg_absence_freshness as f
            inner join latest on f.school_year = latest.school_year
        ),
        national as (select max(last_day_number) as last_day_number from days),
        loads as (
            select region_code, max(loaded_at) as last_loaded_at
            from audit.load_log
            group by region_code
        )
        select
            r.region_code,
            r.name_fr as region_name_fr,
            r.name_ar as region_name_ar,
            days.school_year,
            days.last_day_loaded,
            (national.last_day_number - days.last_day_number)::integer as school_days_behind,
            loads.last_loaded_at
        from reference.code_regions as r
        left join days on days.region_code = r.region_code
        cross join national
        left join loads on loads.region_code = r.region_code
        where (cast(? as varchar) is null or r.region_code = ?)
        order by r.region_code
        """,
        region_code,
        region_code,
    )
