"""Expectation suites: what the quality gate checks itself, that dbt's data tests cannot. Keys, mandatory
columns, code lists and value ranges of the models are dbt data tests (their yml), run by ``dbt build``; the
gate reports their outcome from the build record (``expectations.gate.dbt_test_failures``) and runs none
of them again. The suites here check the ingestion's contract on the lake rows (no dbt test reads the
lake's columns), reconcile the marts with the lake, the freshness per region, the day-over-day anomalies
and the regions' coverage. Every expectation carries a ``description`` (what it guards) and
``meta.on_failure`` (what to do when it fails); ``severity`` says whether a failure blocks publishing
(critical) or publishes with a visible flag (warning). Thresholds: ``expectations.thresholds``."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

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
    row through: a bug to fix in ingestion before the data is published. The key is not checked here:
    dbt tests it on the current state (``stg_massar__<entity>``), where a correction replaces a row.
    """
    fix = f"Inspect the {contract.name} rows named in the report, fix the loader's validation, then reload."
    name = f"raw_{contract.name}"
    expectations: list[gxe.Expectation] = []
    lake_columns = [c for c in contract.column_names if c not in contract.partition_by]
    for column in lake_columns:
        expectations.append(
            gxe.ExpectColumnToExist(
                column=column,
                severity=CRITICAL,
                description=f"The lake keeps the contract column {column} of {contract.name}.",
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
    return _suite(name, expectations)


def enrollment_by_region_suite(expected_pupils: int, region_codes: list[str]) -> gx.ExpectationSuite:
    """``marts.agg_enrollment_by_region``: the national overview's numbers.

    ``expected_pupils`` is the number of distinct (school year, pupil) pairs with an accepted enrollment in
    the lake, computed independently of dbt: the mart must count exactly these pupils; and every region
    reports pupils. Its key, labels, region codes and positive counts are dbt tests (its yml).
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
        gxe.ExpectColumnDistinctValuesToContainSet(
            column="region_code",
            value_set=region_codes,
            severity=WARNING,
            description="All 12 regions report pupils (a missing region usually means a missing export).",
            meta=_meta("Publish with a flag; ask the AREF concerned why its export is missing."),
        )
    )
    return _suite(name, expectations)


def _between(
    column: str, severity: str, description: str, on_failure: str, low: float | None, high: float | None
) -> gxe.Expectation:
    """Every value of ``column`` within [``low``, ``high``] (a missing bound: no limit on that side)."""
    return gxe.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=low,
        max_value=high,
        severity=severity,
        description=description,
        meta=_meta(on_failure),
    )


def freshness_suite(max_lag_days: int) -> gx.ExpectationSuite:
    """Per region: the marts hold what the lake holds, and no region's last loaded school day lags.

    Frame: ``region_code, last_day_loaded, lake_last_absence, mart_last_absence, mart_lag_days,
    school_days_behind`` (see ``expectations.gate.freshness_frame``)."""
    behind = (
        f"No region is more than {max_lag_days} school day(s) behind the most advanced region (last school "
        "day with a roll call or an absence loaded, counted on the school calendar, as in the data-quality "
        "page's freshness table)."
    )
    rebuild = "rebuild with --full-refresh."
    return _suite(
        "freshness_by_region",
        [
            _between(
                "mart_lag_days",
                CRITICAL,
                "fct_absence holds no absence day later than the lake's (no phantom days).",
                f"Do not publish. The mart holds days the lake does not: {rebuild}",
                0,
                None,
            ),
            _between(
                "mart_lag_days",
                WARNING,
                "fct_absence reaches the lake's last absence day (a lag: missed or deleted days).",
                f"Publish with a flag; if no deletion explains it, {rebuild}",
                None,
                0,
            ),
            _between(
                "school_days_behind",
                WARNING,
                behind,
                "Publish with a flag; ask the AREF concerned for its missing daily drops.",
                0,
                max_lag_days,
            ),
        ],
    )


def absence_anomaly_suite(k: float) -> gx.ExpectationSuite:
    """Per region: the last day's absences within ``k`` standard deviations of the previous days.

    Frame: ``region_code, last_day, last_day_absences, mean_absences, std_absences, z_score``."""
    return _suite(
        "absence_day_over_day",
        [
            _between(
                "z_score",
                WARNING,
                f"Each region's absences on its last day stay within {k} standard deviations.",
                "Publish with a flag; check the region's drop (duplicated file, wrong date, strike).",
                -k,
                k,
            )
        ],
    )
