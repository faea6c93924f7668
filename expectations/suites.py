"""Expectation suites. Raw-entity suites are generated from the source contracts (one source of truth);
mart suites state what the published marts must hold. Every expectation carries a ``description``
(what it guards) and ``meta.on_failure`` (what to do when it fails); ``severity`` says whether a
failure blocks publishing (critical) or publishes with a visible flag (warning)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import yaml

from ingestion.codelists import allowed_codes
from ingestion.contracts import Contract

CRITICAL = "critical"
WARNING = "warning"


def _meta(on_failure: str) -> dict[str, str]:
    return {"on_failure": on_failure}


def raw_entity_suite(contract: Contract) -> gx.ExpectationSuite:
    """What every accepted row of ``contract``'s entity must satisfy once in the lake.

    Ingestion already quarantines rows breaking these rules, so a failure here means the loader let a bad
    row through: a bug to fix in ingestion before the data is published.
    """
    fix = f"Inspect the {contract.name} rows named in the report, fix the loader's validation, then reload."
    suite = gx.ExpectationSuite(name=f"raw_{contract.name}")
    lake_columns = [c for c in contract.column_names if c not in contract.partition_by]
    for name in lake_columns:
        suite.add_expectation(
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
            suite.add_expectation(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=c.name,
                    severity=CRITICAL,
                    description=f"Mandatory field {c.name} is present on every accepted row.",
                    meta=_meta(fix),
                )
            )
        if c.pattern:
            suite.add_expectation(
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
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(
                    column=c.name,
                    value_set=sorted(allowed),
                    severity=CRITICAL,
                    description=f"{c.name} holds only codes of its code list.",
                    meta=_meta(fix),
                )
            )
        if c.min is not None or c.max is not None:
            suite.add_expectation(
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
        suite.add_expectation(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=key,
                severity=CRITICAL,
                description=f"The key ({', '.join(key)}) identifies one row per partition.",
                meta=_meta(fix),
            )
        )
    elif key:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeUnique(
                column=key[0],
                severity=CRITICAL,
                description=f"{key[0]} identifies one row per partition.",
                meta=_meta(fix),
            )
        )
    return suite


def enrollment_by_region_suite(expected_pupils: int, region_codes: list[str]) -> gx.ExpectationSuite:
    """``marts.agg_enrollment_by_region``: the national overview's numbers.

    ``expected_pupils`` is the number of distinct (school year, pupil) pairs with an accepted enrollment in
    the lake, computed independently of dbt: the mart must count exactly these pupils.
    """
    rebuild = (
        "Do not publish. Compare fct_enrollment with the lake's accepted enrollments, fix the model, rebuild."
    )
    suite = gx.ExpectationSuite(name="mart_agg_enrollment_by_region")
    suite.add_expectation(
        gxe.ExpectColumnSumToBeBetween(
            column="pupils",
            min_value=expected_pupils,
            max_value=expected_pupils,
            severity=CRITICAL,
            description="Reconciliation: pupils in the register = pupils with an accepted enrollment.",
            meta=_meta(rebuild),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(
            column="region_code",
            value_set=region_codes,
            severity=CRITICAL,
            description="Every figure belongs to one of the 12 regions.",
            meta=_meta(rebuild),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="pupils",
            min_value=1,
            severity=CRITICAL,
            description="Aggregate cells hold a positive count (no empty or negative cells).",
            meta=_meta(rebuild),
        )
    )
    for column in ("school_year", "region_code", "cycle_code", "sex", "sector", "area", "region_name_fr"):
        suite.add_expectation(
            gxe.ExpectColumnValuesToNotBeNull(
                column=column,
                severity=CRITICAL,
                description=f"Every cell is labelled with its {column}.",
                meta=_meta(rebuild),
            )
        )
    suite.add_expectation(
        gxe.ExpectColumnDistinctValuesToContainSet(
            column="region_code",
            value_set=region_codes,
            severity=WARNING,
            description="All 12 regions report pupils (a missing region usually means a missing export).",
            meta=_meta("Publish with a flag; ask the AREF concerned why its export is missing."),
        )
    )
    return suite


def dim_school_suite() -> gx.ExpectationSuite:
    """``marts.dim_school``: one row per school, fully located."""
    rebuild = "Do not publish. Check stg_massar__schools and the geography seeds, fix the model, rebuild."
    suite = gx.ExpectationSuite(name="mart_dim_school")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeUnique(
            column="school_code", severity=CRITICAL, description="One row per school.", meta=_meta(rebuild)
        )
    )
    for column in ("region_code", "province_code", "region_name_fr", "province_name_fr", "sector", "area"):
        suite.add_expectation(
            gxe.ExpectColumnValuesToNotBeNull(
                column=column,
                severity=CRITICAL,
                description=f"Every school has its {column} (geography joins must not lose schools).",
                meta=_meta(rebuild),
            )
        )
    return suite


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


def mart_profile_sql(table: str, contract: MartContract, columns: set[str]) -> str | None:
    """One-row profile of a mart computed in DuckDB (facts are too big for an in-memory GX batch):
    row count, nulls per mandatory column, duplicate keys, min/max per ranged column. Columns the table
    does not have (yet) are left out."""
    parts = ["count(*) as row_count"]
    parts += [f"count(*) - count({c}) as nulls__{c}" for c in contract.not_null if c in columns]
    key = [c for c in contract.key if c in columns]
    if key and len(key) == len(contract.key):
        parts.append(f"count(*) - count(distinct ({', '.join(key)})) as duplicate_keys")
    for c, _, _ in contract.ranges:
        if c in columns:
            parts += [f"min({c})::double as min__{c}", f"max({c})::double as max__{c}"]
    return f"select {', '.join(parts)} from {table}"  # identifiers come from the dbt properties files


def mart_contract_suite(profiles: dict[str, tuple[MartContract, list[str]]]) -> gx.ExpectationSuite:
    """Critical expectations on the marts' profiles (see ``mart_profile_sql``), all in one suite run on one
    wide row whose columns are ``<mart>__<profile column>`` (one GX validation instead of one per mart)."""
    suite = gx.ExpectationSuite(name="mart_contracts")

    def between(column: str, low: float | None, high: float | None, description: str, fix: str) -> None:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=low,
                max_value=high,
                severity=CRITICAL,
                description=description,
                meta=_meta(fix),
            )
        )

    for mart, (contract, profile_columns) in sorted(profiles.items()):
        fix = f"Do not publish. Inspect {mart} in the candidate, fix the dbt model, rebuild."
        for column in profile_columns:
            if column.startswith("nulls__"):
                target = column.removeprefix("nulls__")
                between(f"{mart}__{column}", 0, 0, f"{mart}.{target} is never null (mart contract).", fix)
            elif column == "duplicate_keys":
                key = ", ".join(contract.key)
                between(f"{mart}__{column}", 0, 0, f"The key ({key}) identifies one row of {mart}.", fix)
        for c, low, high in contract.ranges:
            if f"min__{c}" in profile_columns:
                # a range may give one bound only (GX refuses a check with neither)
                if low is not None:
                    between(f"{mart}__min__{c}", low, None, f"{mart}.{c} is at least {low}.", fix)
                if high is not None:
                    between(f"{mart}__max__{c}", None, high, f"{mart}.{c} is at most {high}.", fix)
    return suite


def freshness_suite(max_lag_days: int = 1) -> gx.ExpectationSuite:
    """Per region: the marts hold what the lake holds, and no region's last loaded school day lags.

    Frame: ``region_code, last_day_loaded, lake_last_absence, mart_last_absence, mart_lag_days,
    days_behind_national`` (see ``expectations.gate.freshness_frame``)."""
    suite = gx.ExpectationSuite(name="freshness_by_region")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="mart_lag_days",
            min_value=0,
            severity=CRITICAL,
            description="fct_absence holds no absence day later than the lake's (no phantom days).",
            meta=_meta("Do not publish. The mart holds days the lake does not: rebuild with --full-refresh."),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="mart_lag_days",
            max_value=0,
            severity=WARNING,
            description="fct_absence reaches the lake's last absence day (a lag: missed or deleted days).",
            meta=_meta("Publish with a flag; if no deletion explains it, rebuild with --full-refresh."),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="days_behind_national",
            min_value=0,
            max_value=max_lag_days,
            severity=WARNING,
            description=f"No region's last loaded day lags the national one by more than {max_lag_days}.",
            meta=_meta("Publish with a flag; ask the AREF concerned for its missing daily drops."),
        )
    )
    return suite


def absence_anomaly_suite(k: float = 3.0) -> gx.ExpectationSuite:
    """Per region: the last day's absences within ``k`` standard deviations of the previous days.

    Frame: ``region_code, last_day, last_day_absences, mean_absences, std_absences, z_score``."""
    suite = gx.ExpectationSuite(name="absence_day_over_day")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="z_score",
            min_value=-k,
            max_value=k,
            severity=WARNING,
            description=f"Each region's absences on its last day stay within {k} standard deviations.",
            meta=_meta("Publish with a flag; check the region's drop (duplicated file, wrong date, strike)."),
        )
    )
    return suite
