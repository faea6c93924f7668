"""Row validation against a contract: parse types, then check every rule; split accepted from quarantined.

Every check is a polars expression that is true for a *failing* row, paired with a reason code. A row
is quarantined with the first failing reason (checks run in the order below), and all its original
text values are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from ingestion.codelists import allowed_codes
from ingestion.contracts import Column, Contract

TRUE_VALUES = ("1", "true", "oui", "vrai", "o", "y", "yes")
FALSE_VALUES = ("0", "false", "non", "faux", "n", "no")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "_line_number": pl.Int64(),
    "reason_code": pl.String(),
    "message": pl.String(),
    "raw": pl.String(),
}


@dataclass(frozen=True)
class Check:
    reason: str
    message: str
    failing: pl.Expr


@dataclass(frozen=True)
class ValidationResult:
    accepted: pl.DataFrame
    quarantined: pl.DataFrame

    @property
    def rows_accepted(self) -> int:
        return self.accepted.height

    @property
    def rows_quarantined(self) -> int:
        return self.quarantined.height


def _raw(name: str) -> str:
    return f"__raw_{name}"


def parse_expr(column: Column) -> pl.Expr:
    """Parse the text value of ``column`` into its contract type (null when it does not parse)."""
    raw = pl.col(_raw(column.name))
    match column.dtype:
        case "string":
            return raw
        case "int":
            return raw.str.replace(r"[,.]0+$", "").cast(pl.Int64, strict=False)
        case "float":
            return raw.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        case "date":
            return pl.coalesce(*(raw.str.strptime(pl.Date, fmt, strict=False) for fmt in DATE_FORMATS))
        case "bool":
            lowered = raw.str.to_lowercase()
            return (
                pl.when(lowered.is_in(TRUE_VALUES))
                .then(True)
                .when(lowered.is_in(FALSE_VALUES))
                .then(False)
                .otherwise(None)
            )
    raise ValueError(f"unknown dtype {column.dtype}")


def column_checks(contract: Contract) -> list[Check]:
    """Checks on single columns, derived from the contract."""
    checks: list[Check] = []
    for c in contract.columns:
        raw, typed = pl.col(_raw(c.name)), pl.col(c.name)
        if c.required:
            checks.append(Check("missing_mandatory", f"{c.name} is mandatory", raw.is_null()))
        checks.append(
            Check("invalid_type", f"{c.name} is not a valid {c.dtype}", raw.is_not_null() & typed.is_null())
        )
        if c.pattern:
            checks.append(
                Check(
                    "invalid_format", f"{c.name} does not match {c.pattern}", ~typed.str.contains(c.pattern)
                )
            )
        allowed = set(c.allowed or ()) | (set(allowed_codes(c.codelist)) if c.codelist else set())
        if allowed:
            checks.append(
                Check("unknown_code", f"{c.name} is not an allowed code", ~typed.is_in(sorted(allowed)))
            )
        if c.min is not None:
            checks.append(Check("out_of_range", f"{c.name} is below {c.min:g}", typed < c.min))
        if c.max is not None:
            checks.append(Check("out_of_range", f"{c.name} is above {c.max:g}", typed > c.max))
    return checks


def _first_failure(checks: list[Check]) -> tuple[pl.Expr, pl.Expr]:
    reason = pl.lit(None, dtype=pl.String)
    message = pl.lit(None, dtype=pl.String)
    for check in reversed(checks):
        failing = check.failing.fill_null(False)
        reason = pl.when(failing).then(pl.lit(check.reason)).otherwise(reason)
        message = pl.when(failing).then(pl.lit(check.message)).otherwise(message)
    return reason, message


def validate(
    raw: pl.DataFrame,
    contract: Contract,
    references: dict[str, pl.DataFrame] | None = None,
    expected_partition: dict[str, str] | None = None,
) -> ValidationResult:
    """Validate a string frame (``read_batch`` output) against ``contract``.

    ``references`` maps a referenced entity name to a frame of its accepted keys (for foreign keys).
    ``expected_partition`` holds the school year and region the file was exported for; rows claiming
    another one are quarantined.
    """
    references = references or {}
    # Canonical names hold typed values; the original text is kept under __raw_<name>.
    frame = raw.rename({c.name: _raw(c.name) for c in contract.columns})
    frame = frame.with_columns([parse_expr(c).alias(c.name) for c in contract.columns])

    checks = column_checks(contract)
    checks += [Check(rule.reason, rule.message, ~rule.valid()) for rule in contract.rules]
    checks += [
        Check("wrong_partition", f"{key} differs from the file's {key} {value}", pl.col(key) != value)
        for key, value in (expected_partition or {}).items()
    ]

    reason, message = _first_failure(checks)
    frame = frame.with_columns(reason.alias("__reason"), message.alias("__message"))

    # Duplicates: an exact copy of an earlier row, or a second row for the same key.
    data_cols = contract.column_names
    raw_cols = [_raw(c) for c in data_cols]
    frame = frame.with_columns(pl.struct(raw_cols).is_first_distinct().alias("__first_row"))
    frame = frame.with_columns(
        pl.when(pl.col("__reason").is_null() & ~pl.col("__first_row"))
        .then(pl.lit("duplicate_row"))
        .otherwise(pl.col("__reason"))
        .alias("__reason"),
        pl.when(pl.col("__reason").is_null() & ~pl.col("__first_row"))
        .then(pl.lit("exact copy of an earlier row of the same file"))
        .otherwise(pl.col("__message"))
        .alias("__message"),
    )
    key_cols = list(contract.primary_key)
    clean = pl.col("__reason").is_null()
    frame = frame.with_columns(
        (clean & pl.struct(key_cols).is_first_distinct().over(clean)).alias("__first_key"),
    )
    frame = frame.with_columns(
        pl.when(clean & ~pl.col("__first_key"))
        .then(pl.lit("duplicate_key"))
        .otherwise(pl.col("__reason"))
        .alias("__reason"),
        pl.when(clean & ~pl.col("__first_key"))
        .then(pl.lit(f"a row with the same key ({', '.join(contract.primary_key)}) came earlier"))
        .otherwise(pl.col("__message"))
        .alias("__message"),
    )

    # Foreign keys, against the accepted rows of the referenced entities.
    for fk in contract.foreign_keys:
        ref = references.get(fk.entity)
        if ref is None:
            continue
        ref_keys = (
            ref.select([pl.col(rc).alias(c) for c, rc in zip(fk.columns, fk.ref_columns, strict=True)])
            .unique()
            .with_columns(pl.lit(True).alias("__ref_found"))
        )
        frame = frame.join(ref_keys, on=list(fk.columns), how="left", nulls_equal=False)
        unresolved = pl.col("__reason").is_null() & pl.col("__ref_found").is_null()
        frame = frame.with_columns(
            pl.when(unresolved).then(pl.lit(fk.reason)).otherwise(pl.col("__reason")).alias("__reason"),
            pl.when(unresolved)
            .then(pl.lit(f"{', '.join(fk.columns)} not found in {fk.entity}"))
            .otherwise(pl.col("__message"))
            .alias("__message"),
        ).drop("__ref_found")

    frame = frame.sort("_line_number")
    is_clean = pl.col("__reason").is_null()
    accepted = frame.filter(is_clean).select([*data_cols, "_line_number"])
    rejected = frame.filter(~is_clean)
    raw_json = [
        json.dumps({c: row[_raw(c)] for c in data_cols}, ensure_ascii=False)
        for row in rejected.select(raw_cols).iter_rows(named=True)
    ]
    quarantined = rejected.select(
        pl.col("_line_number"),
        pl.col("__reason").alias("reason_code"),
        pl.col("__message").alias("message"),
    ).with_columns(pl.Series("raw", raw_json, dtype=pl.String))
    return ValidationResult(accepted=accepted, quarantined=quarantined)
