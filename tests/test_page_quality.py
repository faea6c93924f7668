"""The Data quality page and its data access (``dashboards.data_access.quality``), and the gate's run history
reaching the published warehouse (``warehouse/publish.py`` writes ``audit.gate_run``, ``audit.gate_failure``).

Expected numbers come from independent SQL on the published warehouse (``audit.*``, pupil-grain facts) or
from the gate's own history file, never from the data-access functions.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import build_fixture_warehouse
from page_test_support import (
    LANGS,
    ROLE_IDS,
    array_values,
    as_int,
    assert_language,
    chart_specs,
    charts_or_notices,
    labels,
    metric,
    role_scopes,
    rows,
    run_page,
    served_like_massar_serve,
    value,
)
from streamlit.testing.v1 import AppTest

from dashboards.scope import NATIONAL, Scope, ScopeError
from warehouse.publish import Verdict, current, publish

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here

PAGE = "data_quality"


def open_page(scope: Scope, lang: str) -> AppTest:
    return run_page(PAGE, scope, lang, deep_link=True)


def link_urls(at: AppTest) -> list[str]:
    return [e.proto.url for e in at.get("link_button")]


@pytest.fixture(scope="module")
def scopes(published_db: Path) -> dict[str, Scope]:
    """A territory with quarantined rows: the region with the most, its busiest province and school."""
    region = value(
        published_db, "select region_code from audit.quarantine group by 1 order by count(*) desc, 1 limit 1"
    )
    province, school = rows(
        published_db,
        "select province_code, school_code from marts.fct_enrollment where region_code = ? "
        "group by all order by count(*) desc, 2 limit 1",
        region,
    )[0]
    return role_scopes(region, province, school)


# ------------------------------------------------------------------------------------------------- page


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLE_IDS)
def test_page_per_role_and_language(
    role: str, lang: str, published_db: Path, scopes: dict[str, Scope]
) -> None:
    scope = scopes[role]
    at = open_page(scope, lang)
    lab = labels(lang)
    assert_language(at, lang, "quality.title")

    version = published_db.stem
    verdict = value(published_db, "select gate_verdict from audit.publication where version = ?", version)
    assert metric(at, lab["quality.kpi.verdict"]) == lab[f"quality.verdict.{verdict}"]
    assert version in at.caption[0].value
    runs = value(published_db, "select count(*) from audit.gate_run")
    assert runs >= 1
    assert as_int(metric(at, lab["quality.kpi.runs"])) == runs
    blocked = value(published_db, "select count(*) from audit.gate_run where not publishable")
    assert as_int(metric(at, lab["quality.kpi.blocked"])) == blocked

    quarantined = value(
        published_db,
        "select count(*) from audit.quarantine where (cast(? as varchar) is null or region_code = ?)",
        scope.region_code,
        scope.region_code,
    )
    assert quarantined > 0
    assert as_int(metric(at, lab["quality.kpi.quarantined"])) == quarantined

    charts = chart_specs(at)
    # validation history, quarantine by region and reason; a chart with no non-zero value is a notice
    # instead (no run with a failed expectation: the history is all zero)
    assert charts_or_notices(at) == 2
    quarantine = charts[-1]
    if len(charts) == 2:
        assert sum(len(tr["x"]) > 0 for tr in charts[0]["data"]) == 2  # warning and critical series
    reasons = {
        r[0]
        for r in rows(
            published_db,
            "select distinct reason_code from audit.quarantine "
            "where (cast(? as varchar) is null or region_code = ?)",
            scope.region_code,
            scope.region_code,
        )
    }
    # one series per reason, named in words of the language
    assert {tr["name"] for tr in quarantine["data"]} == {lab.get(f"quality.reason.{r}", r) for r in reasons}

    # freshness: one row per region of the scope, last school day loaded from the absence facts
    fresh = next(tb.value for tb in at.dataframe if lab["quality.col.last_day"] in tb.value.columns)
    regions = [
        r[0]
        for r in rows(
            published_db,
            "select region_code from reference.code_regions "
            "where (cast(? as varchar) is null or region_code = ?) order by 1",
            scope.region_code,
            scope.region_code,
        )
    ]
    assert fresh[lab["quality.col.region_code"]].tolist() == regions
    year = value(published_db, "select max(school_year) from marts.fct_absence_daily")
    first = regions[0]
    last_day = value(
        published_db,
        "select max(c.calendar_date) from marts.dim_calendar as c "
        "where c.school_year = ? and c.is_school_day and c.calendar_date <= "
        "(select max(absence_date) from marts.fct_absence_daily where school_year = ? and region_code = ?)",
        year,
        year,
        first,
    )
    # a day counts as loaded when the region sent a roll call for it, even one without any absence: the
    # last roll-call date of the region's accepted rows in the lake (read from the Parquet files), or the
    # last absence date
    lake = published_db.parents[2] / "lake" / "roll_calls" / f"school_year={year}" / f"region_code={first}"
    files = [str(f) for f in sorted(lake.glob("*.parquet"))]
    roll_call_dates = (
        [duckdb.read_parquet(files, union_by_name=True).aggregate("max(roll_call_date)").fetchall()[0][0]]
        if files
        else []
    )
    last_day = max([last_day, *roll_call_dates])
    shown = fresh[lab["quality.col.last_day"]].tolist()[0].strip("\u2066\u2069")
    assert shown == last_day.strftime("%d/%m/%Y")

    # on the dashboards' own server, for national accounts only (the Data Docs are not filtered by territory)
    assert link_urls(at) == (["/_massar/data-docs/index.html"] if scope.is_national else [])


# ------------------------------------------------------------------------------------------ data access


def test_gate_history_reaches_the_published_warehouse(published_home: Path, published_db: Path) -> None:
    """Every gate run of the history file up to the publication is in the version's ``audit.gate_run``."""
    history = published_home / "gx" / "gate_history.jsonl"
    records = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines() if line.strip()]
    published_at = value(
        published_db, "select gate_run_at from audit.publication where version = ?", published_db.stem
    )
    before = [r for r in records if r["run_at"] <= published_at]
    got = rows(
        published_db, "select run_at, verdict, publishable, suites from audit.gate_run order by run_at"
    )
    assert got == [(r["run_at"], r["verdict"], r["publishable"], len(r["suites"])) for r in before]
    failures = value(published_db, "select count(*) from audit.gate_failure")
    assert failures == sum(len(r["failures"]) for r in before)


def test_quality_data_access_scoped(published_db: Path, scopes: dict[str, Scope]) -> None:
    from dashboards.data_access import quality as da

    region = scopes["region"]
    counts = da.quarantine_counts(scope=region)
    assert set(counts["region_code"]) == {region.region_code}
    assert counts["rows"].sum() == value(
        published_db, "select count(*) from audit.quarantine where region_code = ?", region.region_code
    )
    national = da.quarantine_counts(scope=NATIONAL)
    assert national["rows"].sum() == value(published_db, "select count(*) from audit.quarantine")
    assert da.freshness(scope=region)["region_code"].to_list() == [region.region_code]
    other = "06" if region.region_code != "06" else "01"
    for fn in (da.quarantine_counts, da.freshness, da.gate_runs, da.publications, da.gate_warnings):
        with pytest.raises(ScopeError):
            fn(scope=region, region=other)


# ------------------------------------------- a version published with warnings, after a blocked run


def _history_line(run_at: str, verdict: str, failures: list[dict[str, str | None]]) -> str:
    return json.dumps(
        {
            "run_at": run_at,
            "publishable": verdict != "blocked",
            "verdict": verdict,
            "candidate": "candidate.duckdb:1:1",
            "data_docs": "file:///tmp/docs/index.html",
            "suites": {"marts_contracts": verdict != "blocked", "freshness_by_region": verdict == "pass"},
            "failures": failures,
        }
    )


def _failure(severity: str, description: str) -> dict[str, str | None]:
    return {
        "suite": "freshness_by_region",
        "expectation": "expect_column_values_to_be_between",
        "column": "school_days_behind",
        "severity": severity,
        "description": description,
        "on_failure": "Check the region's drops.",
        "observed": "2",
    }


def test_version_published_with_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a small candidate: the fixture warehouse plus the tables the quality page reads
    candidate = build_fixture_warehouse(tmp_path / "build")
    with duckdb.connect(str(candidate)) as con:
        con.execute("create schema audit")
        con.execute(
            "create table audit.quarantine as select * from (values "
            "('b1', 'pupils', '2025-2026', '01', 'f.csv', 3, 'invalid_code', 'bad'), "
            "('b1', 'pupils', '2025-2026', '01', 'f.csv', 4, 'invalid_code', 'bad'), "
            "('b2', 'grades', '2025-2026', '02', 'g.csv', 9, 'duplicate_row', 'dup')) "
            "as t(batch_id, entity, school_year, region_code, source_file, line_number, reason_code, message)"
        )
        con.execute("create table audit.load_log (region_code varchar, loaded_at timestamp, rows_in bigint)")
        con.execute(
            "create table marts.agg_absence_freshness (school_year varchar, region_code varchar, "
            "last_day_loaded date, last_day_number integer, school_days_loaded bigint)"
        )
    history = tmp_path / "gate_history.jsonl"
    blocked = _history_line("2026-11-28T06:00:00+00:00", "blocked", [_failure("critical", "phantom days")])
    warned = _history_line("2026-11-29T06:00:00+00:00", "warn", [_failure("warning", "region 02 is late")])
    history.write_text(f"{blocked}\n{warned}\n", encoding="utf-8")
    published_dir = tmp_path / "home" / "warehouse" / "published"
    version = publish(
        candidate,
        published_dir,
        verdict=Verdict("warn", warnings=1, gate_run_at="2026-11-29T06:00:00+00:00"),
        gate_history=history,
    )
    live = current(published_dir)
    assert live is not None and live.version == version.version
    assert rows(
        live.path, "select verdict, warnings_count, critical_count from audit.gate_run order by run_at"
    ) == [
        ("blocked", 0, 1),
        ("warn", 1, 0),
    ]

    monkeypatch.setenv("MASSAR_HOME", str(tmp_path / "home"))
    for lang in LANGS:
        at = open_page(NATIONAL, lang)
        lab = labels(lang)
        assert [w.value for w in at.main.warning] == [lab["quality.flag.warn"].format(count="1")]
        assert metric(at, lab["quality.kpi.verdict"]) == lab["quality.verdict.warn"]
        assert as_int(metric(at, lab["quality.kpi.blocked"])) == 1
        assert as_int(metric(at, lab["quality.kpi.runs"])) == 2
        assert as_int(metric(at, lab["quality.kpi.warnings"])) == 1
        assert as_int(metric(at, lab["quality.kpi.quarantined"])) == 3
        warnings = next(tb.value for tb in at.dataframe if lab["quality.col.description"] in tb.value.columns)
        # the check in words of the language (from its type and column), not GX's English description;
        # the warning of the published version, not the blocked run's
        assert warnings[lab["quality.col.description"]].tolist() == [
            lab["quality.expect.expect_column_values_to_be_between"].format(column="school_days_behind")
        ]
        assert warnings[lab["quality.col.action"]].tolist() == [lab["quality.action.warning"]]
        assert link_urls(at) == ["/_massar/data-docs/index.html"]
        history_chart = chart_specs(at)[0]
        # warnings then critical failures, per run in time order
        assert [array_values(tr["y"]) for tr in history_chart["data"]] == [[0, 1], [1, 0]]
