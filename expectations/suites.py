"""Expectation suites. Raw-entity suites are generated from the source contracts (one source of truth);
mart suites state what the published marts must hold. Every expectation carries a ``description``
(what it guards) and ``meta.on_failure`` (what to do when it fails); ``severity`` says whether a
failure blocks publishing (critical) or publishes with a visible flag (warning)."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

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
    key = [k for k in contract.primary_key if k not in contract.partition_by]
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
