"""Row validation against a contract: parse types, then check every rule; split accepted from quarantined.

Every check is a polars expression that is true for a *failing* row, paired with a reason code. A row
is quarantined with the first failing reason, and all its original text values are kept (``raw``, JSON).
Order: cut last line; per column (missing, type, format, code list, range); the contract's row rules;
wrong partition; foreign keys; duplicate row, duplicate key; the contract's state checks
(``ingestion.state``), on the rows still clean. See docs/ingestion.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingestion import state
from ingestion.codelists import allowed_codes
from ingestion.contracts import Column, Contract, ForeignKey
from ingestion.reader import TRUNCATED

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


def _first_failure(frame: pl.DataFrame, checks: list[Check]) -> pl.DataFrame:
    """Add ``__reason`` and ``__message``: those of the first failing check (null when all pass).

    The checks are materialised as boolean columns in one ``with_columns`` (polars evaluates them in
    parallel), then the first failing index is found with ``coalesce``: much cheaper than a nested
    when/then chain, which polars evaluates sequentially."""
    flags = [f"__fail{i}" for i in range(len(checks))]
    frame = frame.with_columns(
        [c.failing.fill_null(False).alias(f) for c, f in zip(checks, flags, strict=True)]
    )
    first = pl.coalesce(
        [pl.when(pl.col(f)).then(pl.lit(i, dtype=pl.UInt16)) for i, f in enumerate(flags)]
        or [pl.lit(None, dtype=pl.UInt16)]
    )
    frame = frame.with_columns(first.alias("__check")).drop(flags)
    index = list(range(len(checks)))
    return frame.with_columns(
        pl.col("__check")
        .replace_strict(index, [c.reason for c in checks], default=None, return_dtype=pl.String)
        .alias("__reason"),
        pl.col("__check")
        .replace_strict(index, [c.message for c in checks], default=None, return_dtype=pl.String)
        .alias("__message"),
    ).drop("__check")


STATE_CHECKS = {
    "outside_enrollment": lambda rows, ref: state.outside_enrollment(rows, "absence_date", ref),
    "duplicate_enrollment": state.duplicate_enrollment,
}


def validate(
    raw: pl.DataFrame,
    contract: Contract,
    references: dict[str, pl.DataFrame] | None = None,
    expected_partition: dict[str, str] | None = None,
) -> ValidationResult:
    """Validate a string frame (``read_batch`` output) against ``contract``.

    ``references`` maps a referenced entity name to its current state in the lake (for the foreign keys
    and the state checks of the contract).
    ``expected_partition`` holds the school year and region the file was exported for; rows claiming
    another one are quarantined.
    """
    references = references or {}
    expected_partition = expected_partition or {}
    # Canonical names hold typed values; the original text is kept under __raw_<name>.
    frame = raw.rename({c.name: _raw(c.name) for c in contract.columns})
    frame = frame.with_columns([parse_expr(c).alias(c.name) for c in contract.columns])

    checks = []
    if TRUNCATED in frame.columns:
        checks.append(
            Check(
                "truncated_line",
                "the last line of the file was cut (no line end, or fewer fields than the header)",
                pl.col(TRUNCATED),
            )
        )
    checks += column_checks(contract)
    checks += [Check(rule.reason, rule.message, ~rule.valid()) for rule in contract.rules]
    checks += [
        Check("wrong_partition", f"{key} differs from the file's {key} {value}", pl.col(key) != value)
        for key, value in expected_partition.items()
    ]
    # Foreign keys, against the current state of the referenced entities.
    checks += [
        Check(
            fk.reason,
            f"{', '.join(fk.columns)} not found in {fk.entity}",
            ~_resolves(fk, ref, expected_partition),
        )
        for fk in contract.foreign_keys
        if (ref := references.get(fk.entity)) is not None
    ]

    frame = _first_failure(frame, checks)
    frame = _duplicates(frame, contract)

    # Checks against the current state of other entities (enrollment periods...), on rows still clean.
    for check in contract.state_checks:
        ref = references.get(check.entity)
        if ref is None:
            continue
        clean_at = frame.select(pl.arg_where(pl.col("__reason").is_null())).to_series()
        failing = STATE_CHECKS[check.reason](frame.select(contract.column_names)[clean_at], ref)
        fails = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).scatter(clean_at, failing)
        frame = _set_reason(frame, fails, check.reason, check.message)

    is_clean = pl.col("__reason").is_null()
    data_cols = contract.column_names
    accepted = frame.filter(is_clean).select([*data_cols, "_line_number"])
    quarantined = frame.filter(~is_clean).select(
        pl.col("_line_number"),
        pl.col("__reason").alias("reason_code"),
        pl.col("__message").alias("message"),
        pl.struct([pl.col(_raw(c)).alias(c) for c in data_cols]).struct.json_encode().alias("raw"),
    )
    return ValidationResult(accepted=accepted, quarantined=quarantined)


def _resolves(fk: ForeignKey, ref: pl.DataFrame, partition: dict[str, str]) -> pl.Expr:
    """True when the row's foreign key is found in ``ref`` (or is null: nulls are reported elsewhere).

    Columns that are partition keys and equal to the file's partition are checked by ``wrong_partition``;
    when one column remains, a hash lookup on it is enough (and much cheaper than a join)."""
    pairs = list(zip(fk.columns, fk.ref_columns, strict=True))
    fixed = [(c, rc) for c, rc in pairs if c in partition and c == rc]
    free = [(c, rc) for c, rc in pairs if (c, rc) not in fixed]
    ref = ref.filter(*[pl.col(rc) == partition[c] for c, rc in fixed]) if fixed else ref
    same_partition = pl.all_horizontal([pl.col(c) == partition[c] for c, _ in fixed] or [pl.lit(True)])
    if len(free) == 1:
        (c, rc) = free[0]
        found = pl.col(c).is_in(ref[rc].unique().implode())
        return pl.col(c).is_null() | (same_partition & found)
    key = pl.concat_str([pl.col(c).cast(pl.String) for c, _ in free], separator="\x1f")
    ref_keys = ref.select(pl.concat_str([pl.col(rc).cast(pl.String) for _, rc in free], separator="\x1f"))
    nulls = pl.any_horizontal([pl.col(c).is_null() for c, _ in free])
    return nulls | (same_partition & key.is_in(ref_keys.to_series().unique().implode()))


def _set_reason(frame: pl.DataFrame, failing: pl.Series | pl.Expr, reason: str, message: str) -> pl.DataFrame:
    """Give ``reason`` to the rows still clean where ``failing`` is true."""
    hit = pl.col("__reason").is_null() & failing
    return frame.with_columns(
        pl.when(hit).then(pl.lit(reason)).otherwise(pl.col("__reason")).alias("__reason"),
        pl.when(hit).then(pl.lit(message)).otherwise(pl.col("__message")).alias("__message"),
    )


def _duplicates(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Among rows still clean: an exact copy of an earlier row (``duplicate_row``), else a second row for
    the same key (``duplicate_key``). Only rows whose key occurs twice can be either: the others are not
    hashed whole."""
    key_cols = list(contract.primary_key)
    suspects = frame.select(pl.arg_where(pl.struct(key_cols).is_duplicated())).to_series()
    if suspects.len() == 0:
        return frame
    sub = frame[suspects]
    raw_cols = [_raw(c) for c in contract.column_names]
    first_row = sub.select(pl.struct(raw_cols).is_first_distinct()).to_series()
    sub_clean = sub["__reason"].is_null()
    copies = sub_clean & ~first_row
    frame = _set_reason(
        frame,
        pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).scatter(suspects, copies),
        "duplicate_row",
        "exact copy of an earlier row of the same file",
    )
    sub = frame[suspects]
    clean = pl.col("__reason").is_null()
    repeated = sub.select(clean & ~pl.struct(key_cols).is_first_distinct().over(clean)).to_series()
    return _set_reason(
        frame,
        pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).scatter(suspects, repeated),
        "duplicate_key",
        f"a row with the same key ({', '.join(contract.primary_key)}) came earlier",
    )
