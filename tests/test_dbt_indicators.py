"""Acceptance of the indicator marts on a multi-year synthetic run (slow: generate, ingest, dbt build).

The synthetic source is calibrated (massar/synthetic/calibration.py) on a primary repetition rate and a
dropout rate; the marts, computed from the pupils' actual paths, must come out near them. Also checked:
no transfer is counted as dropout (a pupil seen the next year is never dropped_out), and the true-cohort
survival is consistent with the flows (survival to grade 2 of a cohort <= its share not dropped out).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from massar.synthetic.calibration import DROPOUT_RATE, PRIMARY_REPETITION

MASSAR = str(Path(sys.executable).with_name("massar"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("massar-indicators")
    env = {**os.environ, "MASSAR_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow")}
    for args in (
        ["generate", "--pupils", "3000", "--seed", "11", "--years", "3", "--fault-rate", "0"],
        ["ingest"],
        ["build"],
    ):
        result = subprocess.run([MASSAR, *args], env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home / "warehouse" / "candidate.duckdb"


@pytest.mark.slow
def test_rates_near_the_configured_rates(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        repetition, dropout = con.execute(
            "select sum(repeated) filter (where cycle_code = 'primary') "
            "  / sum(rate_base) filter (where cycle_code = 'primary'),"
            " sum(dropped_out) / sum(rate_base) from marts.agg_flow_rates"
        ).fetchone()
        assert abs(repetition - PRIMARY_REPETITION) < 0.04, repetition
        assert abs(dropout - DROPOUT_RATE) < 0.04, dropout
    finally:
        con.close()


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
