"""The mart contract checks are built from the dbt properties: ranges, keys and mandatory columns; a check
beyond its bound fails the gate's critical suite and is named in the report."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from expectations.gate import _failures
from expectations.suites import MartContract, mart_checks, mart_contract_suite

CONTRACT = MartContract(
    "m", ("k",), ("k",), (("low_only", 0, None), ("high_only", None, 20), ("both", 0, 100))
)


def _profile(**values: float) -> dict[str, object]:
    profile: dict[str, object] = {"row_count": 3.0, "nulls__k": 0.0, "duplicate_keys": 0.0}
    for c in ("low_only", "high_only", "both"):
        profile[f"min__{c}"] = 1.0
        profile[f"max__{c}"] = 10.0
    return profile | values


def test_a_range_with_one_bound_gives_one_check() -> None:
    checks = mart_checks({"m": (CONTRACT, _profile())}).set_index("check_id")
    bounds = {c: (row.low, row.high) for c, row in checks.iterrows()}
    assert bounds["m.min.low_only"][0] == 0 and pd.isna(bounds["m.min.low_only"][1])
    assert "m.max.low_only" not in bounds  # no upper bound, no check
    assert pd.isna(bounds["m.max.high_only"][0]) and bounds["m.max.high_only"][1] == 20
    assert "m.min.high_only" not in bounds
    assert bounds["m.min.both"][0] == 0 and bounds["m.max.both"][1] == 100
    assert bounds["m.nulls.k"] == (0, 0) and bounds["m.duplicate_keys.k"] == (0, 0)
    assert len(bounds) == 6
    assert (checks["excess"] <= 0).all()


def _run(frame):  # the suite on a frame, in an ephemeral context, with the gate's result format
    context = gx.get_context(mode="ephemeral")
    suite = context.suites.add(mart_contract_suite())
    batch = (
        context.data_sources.add_pandas("t")
        .add_dataframe_asset("a")
        .add_batch_definition_whole_dataframe("w")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="c",
            validation_definitions=[definition],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["check_id"]},
        )
    )
    return suite, checkpoint.run(batch_parameters={"dataframe": frame})


def test_a_check_beyond_its_bound_blocks_and_is_named() -> None:
    frame = mart_checks({"m": (CONTRACT, _profile(max__high_only=25.0, duplicate_keys=2.0))})
    suite, result = _run(frame)
    assert not result.success
    failures = _failures(suite, frame, result)
    assert {(f.column, f.severity) for f in failures} == {("m.high_only", "critical"), ("m.k", "critical")}
    assert any("at most 20" in f.description and f.observed.startswith("25.0") for f in failures)


def test_checks_within_bounds_pass() -> None:
    _suite, result = _run(mart_checks({"m": (CONTRACT, _profile())}))
    assert result.success


def test_a_daily_scope_profiles_only_the_changed_partitions_and_days() -> None:
    """A daily run's profile of a partitioned fact reads the changed (school year, region) partitions within
    the day window: a bad grade there is seen, one elsewhere is not (the full validation sees both)."""
    from datetime import date

    import duckdb

    from expectations.gate import Scope, _partition_filter
    from expectations.suites import mart_profile_sql

    contract = MartContract("fct_x", ("k",), ("k",), (("grade", 0, 20),))
    day = date(2026, 6, 30)
    scope = Scope(full=False, partitions=(("2025-2026", "01"),), days=(day, day))
    with duckdb.connect() as con:
        con.execute(
            "create table fct_x as select * from (values "
            "(1, '2025-2026', '01', date '2026-06-30', 12.0), "
            "(2, '2025-2026', '01', date '2026-06-29', 30.0), "
            "(3, '2025-2026', '02', date '2026-06-30', 40.0), "
            "(4, '2025-2026', '01', date '2026-06-30', 25.0)) "
            "t(k, school_year, region_code, assessment_date, grade)"
        )
        con.register(
            "scope_partitions", pd.DataFrame(list(scope.partitions), columns=["school_year", "region_code"])
        )
        columns = {"k", "school_year", "region_code", "assessment_date", "grade"}
        profiles = {}
        for name, s in (("daily", scope), ("full", Scope())):
            where, params = _partition_filter(s, columns)
            profiles[name] = con.execute(mart_profile_sql("fct_x", contract, columns, where), params).df()
    assert profiles["daily"]["row_count"][0] == 2 and profiles["daily"]["max__grade"][0] == 25.0
    assert profiles["full"]["row_count"][0] == 4 and profiles["full"]["max__grade"][0] == 40.0
    assert _partition_filter(scope, {"k", "grade"}) == ("", [])  # an unpartitioned mart is read whole
