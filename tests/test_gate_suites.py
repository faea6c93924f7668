"""The mart contract suite is built from the dbt properties: ranges, keys and mandatory columns."""

from __future__ import annotations

import great_expectations as gx

from expectations.suites import MartContract, mart_contract_suite


def _checks(suite: object) -> dict[str, tuple[object, object]]:
    return {e.column: (e.min_value, e.max_value) for e in suite.expectations}  # type: ignore[attr-defined]


def test_a_range_with_one_bound_gives_one_check() -> None:
    gx.get_context(mode="ephemeral")  # GX builds suites inside a data context
    contract = MartContract(
        "m", ("k",), ("k",), (("low_only", 0, None), ("high_only", None, 20), ("both", 0, 100))
    )
    columns = [
        "nulls__k",
        "duplicate_keys",
        *(f"{e}__{c}" for c in ("low_only", "high_only", "both") for e in ("min", "max")),
    ]
    checks = _checks(mart_contract_suite({"m": (contract, columns)}))
    assert checks["m__min__low_only"] == (0, None)
    assert "m__max__low_only" not in checks  # no upper bound, no check (GX refuses one with neither)
    assert checks["m__max__high_only"] == (None, 20)
    assert "m__min__high_only" not in checks
    assert checks["m__min__both"] == (0, None) and checks["m__max__both"] == (None, 100)
    assert checks["m__nulls__k"] == (0, 0) and checks["m__duplicate_keys"] == (0, 0)
