"""Acceptance of the indicator marts on a multi-year synthetic run (slow: generate, ingest, dbt build).

Three checks of the flow rates (UIS definitions: promotion, repetition and dropout over the pupils enrolled
in grade g in year t; dropout = not promoted, not repeating, not having completed the last grade):

- reconciliation: the marts' flow counts by school year and level equal the counts computed here, with
  polars, from the export files (pupils' start events in t and t+1, dropout events);
- configured rates: the marts' primary repetition and dropout rates are within one point of the rates the
  synthetic source is configured with (synthetic/parameters.py: REPETITION_RATE and its sex factors;
  in-year DROPOUT_RATE with its sex and area factors, plus the END_OF_CYCLE_EXIT of the non-repeaters of
  6AP and 3AC), applied here to the pupils the marts hold (their level, sex and school area). At 8,000
  pupils x 3 years the standard error of the primary repetition rate is about 0.3 point and that of the
  overall dropout rate about 0.2 point, so one point is about 3 standard errors; the lower-secondary
  dropout rate (about 0.6 point) gets three standard errors;
- no transfer is counted as dropout, and the true-cohort survival is consistent with the flows.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.codelists import read_seed
from synthetic import parameters as P
from synthetic.calibration import read_entity

MASSAR = str(Path(sys.executable).with_name("massar"))
PUPILS = 8000


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("massar-indicators")
    env = {**os.environ, "MASSAR_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow")}
    for args in (
        ["generate", "--pupils", str(PUPILS), "--seed", "11", "--years", "3", "--fault-rate", "0"],
        ["ingest"],
        ["build"],
    ):
        result = subprocess.run([MASSAR, *args], env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home


@pytest.fixture(scope="module")
def warehouse(home: Path) -> Path:
    return home / "warehouse" / "candidate.duckdb"


def _query(warehouse: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def _flows_from_exports(exports: Path) -> pl.DataFrame:
    """Per school year t (with a year t+1) and level: pupils, promoted, repeated, dropped out, completed."""
    years = sorted(p.name for p in exports.iterdir() if (p / "manifest.json").exists())
    levels = pl.DataFrame(list(read_seed("code_levels"))).select(
        "level_code", pl.col("level_order").cast(pl.Int64), "next_level_code"
    )

    def pupil_levels(year: str) -> pl.DataFrame:
        enrol = read_entity(exports, year, "enrollments")
        starts = enrol.filter(pl.col("event_type").is_in(["entry", "re_enrollment"]))
        dropped = enrol.filter(pl.col("event_type") == "dropout").select("student_code").unique()
        return (
            starts.select("student_code", "level_code")
            .unique()
            .join(levels, on="level_code")
            .with_columns(pl.col("student_code").is_in(dropped["student_code"].implode()).alias("dropped"))
        )

    out = []
    for year, following in itertools.pairwise(years):
        nxt = pupil_levels(following).select("student_code", pl.col("level_order").alias("next_order"))
        rows = pupil_levels(year).join(nxt, on="student_code", how="left")
        final = pl.col("next_level_code").fill_null("") == ""
        flow = (
            pl.when(pl.col("next_order") > pl.col("level_order"))
            .then(pl.lit("promoted"))
            .when(pl.col("next_order").is_not_null())
            .then(pl.lit("repeated"))
            .when(final & ~pl.col("dropped"))
            .then(pl.lit("completed"))
            .otherwise(pl.lit("dropped_out"))
        )
        out.append(
            rows.with_columns(flow.alias("flow"))
            .group_by("level_code")
            .agg(
                pl.len().alias("pupils"),
                *(
                    (pl.col("flow") == f).sum().alias(f)
                    for f in ("promoted", "repeated", "dropped_out", "completed")
                ),
            )
            .with_columns(pl.lit(year).alias("school_year"))
        )
    return pl.concat(out)


@pytest.mark.slow
def test_flow_counts_reconcile_with_the_exports(home: Path, warehouse: Path) -> None:
    want = _flows_from_exports(home / "exports")
    got = _query(
        warehouse,
        "select school_year, level_code, sum(pupils) as pupils, sum(promoted) as promoted,"
        " sum(repeated) as repeated, sum(dropped_out) as dropped_out, sum(completed) as completed,"
        " sum(transferred_out) as transferred_out"
        " from marts.agg_flow_rates group by school_year, level_code",
    )
    assert got["transferred_out"].sum() == 0  # transfers stay in the region: every one is seen again
    columns = ["school_year", "level_code", "pupils", "promoted", "repeated", "dropped_out", "completed"]
    cast = [pl.col(c).cast(pl.Int64) for c in columns[2:]]
    got = got.select(columns).with_columns(cast).sort("school_year", "level_code")
    want = want.select(columns).with_columns(cast).sort("school_year", "level_code")
    assert got.height == want.height == 2 * 14
    assert got.equals(want), pl.concat([got, want], how="horizontal")


def _expected(warehouse: Path) -> pl.DataFrame:
    """Per pupil-year with a known flow: the configured repetition and dropout probabilities."""
    rows = _query(
        warehouse,
        "select level_code, cycle_code, sex, area, next_year_flow from marts.fct_enrollment"
        " where next_year_flow is not null and next_year_flow != 'transferred_out'",
    )
    girl = pl.col("sex") == "F"
    repetition = pl.col("level_code").replace_strict(P.REPETITION_RATE, return_dtype=pl.Float64) * pl.when(
        girl
    ).then(P.REPETITION_FACTOR_GIRL).otherwise(P.REPETITION_FACTOR_BOY)
    in_year = (
        pl.col("cycle_code").replace_strict(P.DROPOUT_RATE, return_dtype=pl.Float64)
        * pl.when(girl).then(P.DROPOUT_FACTOR_GIRL).otherwise(P.DROPOUT_FACTOR_BOY)
        * pl.when(pl.col("area") == "rural").then(P.DROPOUT_FACTOR_RURAL).otherwise(P.DROPOUT_FACTOR_URBAN)
    )
    exit_rate = pl.col("level_code").replace_strict(P.END_OF_CYCLE_EXIT, default=0.0, return_dtype=pl.Float64)
    return rows.with_columns(
        repetition.alias("p_repeat"),
        (in_year + (1 - in_year - repetition) * exit_rate).alias("p_dropout"),
    )


@pytest.mark.slow
def test_rates_within_one_point_of_the_configured_rates(warehouse: Path) -> None:
    rows = _expected(warehouse)
    observed = _query(
        warehouse,
        "select sum(repeated) filter (where cycle_code = 'primary')"
        "  / sum(rate_base) filter (where cycle_code = 'primary') as primary_repetition,"
        " sum(dropped_out) / sum(rate_base) as dropout,"
        " sum(dropped_out) filter (where cycle_code = 'lower_secondary')"
        "  / sum(rate_base) filter (where cycle_code = 'lower_secondary') as lower_secondary_dropout"
        " from marts.agg_flow_rates",
    ).row(0, named=True)
    primary = rows.filter(pl.col("cycle_code") == "primary")
    lower = rows.filter(pl.col("cycle_code") == "lower_secondary")
    expected = {
        "primary_repetition": (primary["p_repeat"].mean(), primary.height),
        "dropout": (rows["p_dropout"].mean(), rows.height),
        "lower_secondary_dropout": (lower["p_dropout"].mean(), lower.height),
    }
    for name, (want, n) in expected.items():
        # one point, or three standard errors of a rate on n pupil-years where that is wider (lower
        # secondary: about 3,700 pupil-years, 1.8 points)
        bound = max(0.01, 3 * (want * (1 - want) / n) ** 0.5)
        assert abs(observed[name] - want) < bound, (name, observed[name], want, bound)
    # the configured primary repetition is the press figure (8.9 %, UIS definition)
    assert abs(observed["primary_repetition"] - 0.089) < 0.01


@pytest.mark.slow
def test_no_transfer_counted_as_dropout(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        # a pupil seen the next year (wherever: another region, a private school) is never a dropout
        assert con.execute(
            "select count(*) from marts.fct_enrollment as e join marts.fct_enrollment as n"
            " on e.student_key = n.student_key"
            " and cast(left(n.school_year, 4) as int) = cast(left(e.school_year, 4) as int) + 1"
            " where e.next_year_flow = 'dropped_out'"
        ).fetchall() == [(0,)]
        # a transfer out not followed by any record is transferred_out, not dropped_out
        assert con.execute(
            "select count(*) from marts.fct_enrollment where exit_type = 'transfer_out'"
            " and next_year_flow = 'dropped_out'"
        ).fetchall() == [(0,)]
    finally:
        con.close()


@pytest.mark.slow
def test_true_cohort_survival_consistent_with_flows(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select s.true_cohort_survival_rate, s.cohort_size from marts.agg_survival as s"
            " where s.grade_in_cycle = 2 and s.true_cohort_survival_rate is not null"
        ).fetchall()
        assert rows
        for rate, size in rows:
            assert 0 <= rate <= 1 and size > 0
        # nationally: reaching grade 2 within the observed years cannot exceed promotion out of grade 1
        # plus the repeaters promoted later, i.e. 1 - dropout - transfers (bounded by 1 - dropout share)
        survival, promoted_share = con.execute(
            "select (select sum(cohort_reached) / sum(cohort_size) from marts.agg_survival"
            "        where grade_in_cycle = 2 and true_cohort_survival_rate is not null"
            "        and cycle_code = 'primary'),"
            " (select 1 - sum(dropped_out) / sum(rate_base) from marts.agg_flow_rates"
            "        where grade_in_cycle = 1 and cycle_code = 'primary')"
        ).fetchone()
        assert survival <= promoted_share + 0.05, (survival, promoted_share)
    finally:
        con.close()
