"""Expectation suites. Raw-entity suites are generated from the source contracts (one source of truth);
mart suites state what the published marts must hold. Every expectation carries a ``description``
(what it guards) and ``meta.on_failure`` (what to do when it fails); ``severity`` says whether a
failure blocks publishing (critical) or publishes with a visible flag (warning)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import yaml

from ingestion.codelists import allowed_codes
from ingestion.contracts import Contract

CRITICAL = "critical"
WARNING = "warning"


def _meta(on_failure: str) -> dict[str, str]:
    return {"on_failure": on_failure}


def _suite(name: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    """A suite holding ``expectations``, given at construction: ``ExpectationSuite.add_expectation``
    compares each new expectation with every one already added (pydantic ``dict()`` of both), which is
    quadratic: a 300-expectation suite took about 90 s to build that way on a loaded machine."""
    return gx.ExpectationSuite(name=name, expectations=expectations)


def raw_entity_suite(contract: Contract) -> gx.ExpectationSuite:
    """What every accepted row of ``contract``'s entity must satisfy once in the lake.

    Ingestion already quarantines rows breaking these rules, so a failure here means the loader let a bad
    row through: a bug to fix in ingestion before the data is published.
    """
    fix = f"Inspect the {contract.name} rows named in the report, fix the loader's validation, then reload."
    name = f"raw_{contract.name}"
    expectations: list[gxe.Expectation] = []
    lake_columns = [c for c in contract.column_names if c not in contract.partition_by]
    for name in lake_columns:
        expectations.append(
            gxe.ExpectColumnToExist(
                column=name,
                severity=CRITICAL,
                description=f"The lake keeps the contract column {name} of {contract.name}.",
                meta=_meta(fix),
            )
        )
    for c in contract.columns:
        if c.name in contract.partition_by:
            continue
        if c.required:
            expectations.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=c.name,
                    severity=CRITICAL,
                    description=f"Mandatory field {c.name} is present on every accepted row.",
                    meta=_meta(fix),
                )
            )
        if c.pattern:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=c.name,
                    regex=c.pattern,
                    severity=CRITICAL,
                    description=f"{c.name} follows its format {c.pattern}.",
                    meta=_meta(fix),
                )
            )
        allowed = set(c.allowed or ()) | (set(allowed_codes(c.codelist)) if c.codelist else set())
        if allowed:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=c.name,
                    value_set=sorted(allowed),
                    severity=CRITICAL,
                    description=f"{c.name} holds only codes of its code list.",
                    meta=_meta(fix),
                )
            )
        if c.min is not None or c.max is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=c.name,
                    min_value=c.min,
                    max_value=c.max,
                    severity=CRITICAL,
                    description=f"{c.name} stays within [{c.min}, {c.max}].",
                    meta=_meta(fix),
                )
            )
    # the gate validates the whole lake (every partition): keep the partition columns of the key
    # (pupils: (school_year, student_code), else a pupil of two school years counts as a duplicate)
    key = list(contract.primary_key)
    if len(key) > 1:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=key,
                severity=CRITICAL,
                description=f"The key ({', '.join(key)}) identifies one row per partition.",
                meta=_meta(fix),
            )
        )
    elif key:
        expectations.append(
            gxe.ExpectColumnValuesToBeUnique(
                column=key[0],
                severity=CRITICAL,
                description=f"{key[0]} identifies one row per partition.",
                meta=_meta(fix),
            )
        )
    return _suite(name, expectations)


def enrollment_by_region_suite(expected_pupils: int, region_codes: list[str]) -> gx.ExpectationSuite:
    """``marts.agg_enrollment_by_region``: the national overview's numbers.

    ``expected_pupils`` is the number of distinct (school year, pupil) pairs with an accepted enrollment in
    the lake, computed independently of dbt: the mart must count exactly these pupils.
    """
    rebuild = (
        "Do not publish. Compare fct_enrollment with the lake's accepted enrollments, fix the model, rebuild."
    )
    name = "mart_agg_enrollment_by_region"
    expectations: list[gxe.Expectation] = []
    expectations.append(
        gxe.ExpectColumnSumToBeBetween(
            column="pupils",
            min_value=expected_pupils,
            max_value=expected_pupils,
            severity=CRITICAL,
            description="Reconciliation: pupils in the register = pupils with an accepted enrollment.",
            meta=_meta(rebuild),
        )
    )
    expectations.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="region_code",
            value_set=region_codes,
            severity=CRITICAL,
            description="Every figure belongs to one of the 12 regions.",
            meta=_meta(rebuild),
        )
    )
    expectations.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="pupils",
            min_value=1,
            severity=CRITICAL,
            description="Aggregate cells hold a positive count (no empty or negative cells).",
            meta=_meta(rebuild),
        )
    )
    for column in ("school_year", "region_code", "cycle_code", "sex", "sector", "area", "region_name_fr"):
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=column,
                severity=CRITICAL,
                description=f"Every cell is labelled with its {column}.",
                meta=_meta(rebuild),
            )
        )
    expectations.append(
        gxe.ExpectColumnDistinctValuesToContainSet(
            column="region_code",
            value_set=region_codes,
            severity=WARNING,
            description="All 12 regions report pupils (a missing region usually means a missing export).",
            meta=_meta("Publish with a flag; ask the AREF concerned why its export is missing."),
        )
    )
    return _suite(name, expectations)


def dim_school_suite() -> gx.ExpectationSuite:
    """``marts.dim_school``: one row per school, fully located."""
    rebuild = "Do not publish. Check stg_massar__schools and the geography seeds, fix the model, rebuild."
    name = "mart_dim_school"
    expectations: list[gxe.Expectation] = []
    expectations.append(
        gxe.ExpectColumnValuesToBeUnique(
            column="school_code", severity=CRITICAL, description="One row per school.", meta=_meta(rebuild)
        )
    )
    for column in ("region_code", "province_code", "region_name_fr", "province_name_fr", "sector", "area"):
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=column,
                severity=CRITICAL,
                description=f"Every school has its {column} (geography joins must not lose schools).",
                meta=_meta(rebuild),
            )
        )
    return _suite(name, expectations)


# ---------------------------------------------------------------------------------------------------------
# Mart suites generated from the dbt mart contracts (``dbt/models/marts/*.yml``)
# ---------------------------------------------------------------------------------------------------------

GRADE_RANGE = (0.0, 20.0)
RATE_RANGE = (0.0, 100.0)


@dataclass(frozen=True)
class MartContract:
    """What a mart's dbt properties file declares: its key, its mandatory columns and value ranges."""

    name: str
    key: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()


def _range_by_name(column: str) -> tuple[float, float] | None:
    """Ranges implied by the naming conventions: grades and averages on 0–20, rates and shares on 0–100."""
    name = column.lower()
    if name == "grade" or name.endswith(("_grade", "_average", "_avg_grade")) or name.startswith("average"):
        return GRADE_RANGE
    if name.endswith("_base"):  # a rate's denominator (agg_flow_rates.rate_base) is a count, not a rate
        return None
    if name.endswith(("_rate", "_pct", "_percent", "_share")) or name.startswith(("rate_", "pct_")):
        return RATE_RANGE
    return None


def _test_name_and_args(test: object) -> tuple[str, dict]:
    if isinstance(test, str):
        return test, {}
    if isinstance(test, dict) and test:
        name, body = next(iter(test.items()))
        body = body or {}
        return str(name), {**body, **(body.get("arguments") or {})}
    return "", {}


def mart_contracts(models_dir: Path) -> dict[str, MartContract]:
    """Read the marts' dbt properties (``*.yml``): keys from ``unique``/``unique_combination_of_columns``
    tests, mandatory columns from ``not_null``, ranges from ``accepted_range`` tests or column names."""
    contracts: dict[str, MartContract] = {}
    for path in sorted(models_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            key: tuple[str, ...] = ()
            for test in model.get("data_tests") or model.get("tests") or []:
                name, args = _test_name_and_args(test)
                if name.split(".")[-1] == "unique_combination_of_columns":
                    key = tuple(args.get("combination_of_columns") or ())
            not_null: list[str] = []
            ranges: list[tuple[str, float | None, float | None]] = []
            for column in model.get("columns") or []:
                cname = column["name"]
                for test in column.get("data_tests") or column.get("tests") or []:
                    name, args = _test_name_and_args(test)
                    short = name.split(".")[-1]
                    if short == "not_null":
                        not_null.append(cname)
                    elif short == "unique" and not key:
                        key = (cname,)
                    elif short == "accepted_range":
                        ranges.append((cname, args.get("min_value"), args.get("max_value")))
                implied = _range_by_name(cname)
                if implied and not any(r[0] == cname for r in ranges):
                    ranges.append((cname, *implied))
            contracts[model["name"]] = MartContract(model["name"], key, tuple(not_null), tuple(ranges))
    return contracts


def mart_profile_sql(table: str, contract: MartContract, columns: set[str], where: str = "") -> str | None:
    """One-row profile of a mart computed in DuckDB (facts are too big for an in-memory GX batch):
    row count, nulls per mandatory column, duplicate keys, min/max per ranged column. Columns the table
    does not have (yet) are left out. ``where`` (constant SQL of the gate, with ``?`` parameters)
    restricts the profile to some partitions (a daily run's)."""
    parts = ["count(*) as row_count"]
    parts += [f"count(*) - count({c}) as nulls__{c}" for c in contract.not_null if c in columns]
    key = [c for c in contract.key if c in columns]
    if key and len(key) == len(contract.key):
        parts.append(f"count(*) - count(distinct ({', '.join(key)})) as duplicate_keys")
    for c, _, _ in contract.ranges:
        if c in columns:
            parts += [f"min({c})::double as min__{c}", f"max({c})::double as max__{c}"]
    # identifiers come from the dbt properties files
    return f"select {', '.join(parts)} from {table}" + (f" where {where}" if where else "")


MART_CHECKS_COLUMNS = ("check_id", "mart", "column_name", "kind", "observed", "low", "high", "excess")


def mart_checks(profiles: dict[str, tuple[MartContract, dict[str, object]]]) -> pd.DataFrame:
    """The mart contracts' checks on the marts' profiles (see ``mart_profile_sql``), one row per check:
    ``check_id`` (``<mart>.<kind>.<column>``), ``observed`` (the profile value), its bounds ``low`` and
    ``high``, and ``excess``: how far the observed value is beyond its bound (> 0 is a failure), plus
    the check's ``description`` and ``on_failure``. A range may give one bound only."""
    rows: list[dict[str, object]] = []

    def check(
        mart: str, column: str, kind: str, observed: object, low: object, high: object, text: str
    ) -> None:
        value = None if observed is None or pd.isna(observed) else float(observed)  # type: ignore[arg-type]
        excesses = [
            bound_excess
            for bound_excess in (
                None if low is None or value is None else float(low) - value,  # type: ignore[arg-type]
                None if high is None or value is None else value - float(high),  # type: ignore[arg-type]
            )
            if bound_excess is not None
        ]
        rows.append(
            {
                "check_id": f"{mart}.{kind}.{column}",
                "mart": mart,
                "column_name": column,
                "kind": kind,
                "observed": value,
                "low": None if low is None else float(low),  # type: ignore[arg-type]
                "high": None if high is None else float(high),  # type: ignore[arg-type]
                "excess": max(excesses) if excesses else None,
                "description": text,
                "on_failure": f"Do not publish. Inspect {mart} in the candidate, fix the dbt model, rebuild.",
            }
        )

    for mart, (contract, profile) in sorted(profiles.items()):
        for column, observed in profile.items():
            if column.startswith("nulls__"):
                target = column.removeprefix("nulls__")
                check(
                    mart, target, "nulls", observed, 0, 0, f"{mart}.{target} is never null (mart contract)."
                )
            elif column == "duplicate_keys":
                key = ", ".join(contract.key)
                check(
                    mart,
                    key,
                    "duplicate_keys",
                    observed,
                    0,
                    0,
                    f"The key ({key}) identifies one row of {mart}.",
                )
        for c, low, high in contract.ranges:
            if low is not None and f"min__{c}" in profile:
                check(mart, c, "min", profile[f"min__{c}"], low, None, f"{mart}.{c} is at least {low}.")
            if high is not None and f"max__{c}" in profile:
                check(mart, c, "max", profile[f"max__{c}"], None, high, f"{mart}.{c} is at most {high}.")
    columns = [*MART_CHECKS_COLUMNS, "description", "on_failure"]
    return pd.DataFrame(rows, columns=columns).astype(
        {"observed": "float64", "low": "float64", "high": "float64", "excess": "float64"}
    )


def mart_contract_suite() -> gx.ExpectationSuite:
    """Critical: every check of ``mart_checks`` holds (its ``excess`` is at most 0; a check with no
    observed value, an empty table's min or max, is not judged). Two expectations on one long frame
    rather than one per check: a suite of 300 expectations on a one-row frame cost about a minute of GX
    overhead per run; the failing checks are named by ``check_id`` (the unexpected rows, in Data Docs and
    in the gate's report)."""
    fix = "Do not publish. Inspect the marts named by check_id in the candidate, fix the dbt models, rebuild."
    return _suite(
        "mart_contracts",
        [
            gxe.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                severity=CRITICAL,
                description="Every mart meets its contract: no null in a mandatory column, no duplicate key, "
                "every ranged value within its range (one row per check).",
                meta=_meta(fix),
            ),
            gxe.ExpectTableRowCountToBeBetween(
                min_value=1,
                severity=CRITICAL,
                description="The mart contracts were read (at least one check).",
                meta=_meta("Do not publish. Check that dbt/models/marts/*.yml are readable."),
            ),
        ],
    )


def freshness_suite(max_lag_days: int = 1) -> gx.ExpectationSuite:
    """Per region: the marts hold what the lake holds, and no region's last loaded school day lags.

    Frame: ``region_code, last_day_loaded, lake_last_absence, mart_last_absence, mart_lag_days,
    school_days_behind`` (see ``expectations.gate.freshness_frame``)."""
    name = "freshness_by_region"
    expectations: list[gxe.Expectation] = []
    expectations.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="mart_lag_days",
            min_value=0,
            severity=CRITICAL,
            description="fct_absence holds no absence day later than the lake's (no phantom days).",
            meta=_meta("Do not publish. The mart holds days the lake does not: rebuild with --full-refresh."),
        )
    )
    expectations.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="mart_lag_days",
            max_value=0,
            severity=WARNING,
            description="fct_absence reaches the lake's last absence day (a lag: missed or deleted days).",
            meta=_meta("Publish with a flag; if no deletion explains it, rebuild with --full-refresh."),
        )
    )
    expectations.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="school_days_behind",
            min_value=0,
            max_value=max_lag_days,
            severity=WARNING,
            description=(
                f"No region is more than {max_lag_days} school day(s) behind the most advanced region "
                "(last school day with a roll call or an absence loaded, counted on the school calendar, "
                "as in the data-quality page's freshness table)."
            ),
            meta=_meta("Publish with a flag; ask the AREF concerned for its missing daily drops."),
        )
    )
    return _suite(name, expectations)


def absence_anomaly_suite(k: float = 3.0) -> gx.ExpectationSuite:
    """Per region: the last day's absences within ``k`` standard deviations of the previous days.

    Frame: ``region_code, last_day, last_day_absences, mean_absences, std_absences, z_score``."""
    name = "absence_day_over_day"
    expectations: list[gxe.Expectation] = []
    expectations.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="z_score",
            min_value=-k,
            max_value=k,
            severity=WARNING,
            description=f"Each region's absences on its last day stay within {k} standard deviations.",
            meta=_meta("Publish with a flag; check the region's drop (duplicated file, wrong date, strike)."),
        )
    )
    return _suite(name, expectations)
