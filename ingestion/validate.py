"""Row validation against a contract: parse types, then check every rule; split accepted from quarantined.

Every check is a polars expression that is true for a *failing* row, paired with a reason code. A row
is quarantined with the first failing reason, and all its original text values are kept (``raw``, JSON).
Order: cut last line; ragged line (too many or too few fields); a value under an unrecognised
header; per column (missing, type, format, code list, range); the contract's row rules;
wrong partition; foreign keys; duplicate row, duplicate key; the contract's state checks
(``ingestion.state``), on the rows still clean. See docs/ingestion.md.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import polars as pl

from ingestion import state
from ingestion.codelists import allowed_codes
from ingestion.contracts import Column, Contract, ForeignKey
from ingestion.reader import EXTRA, TRUNCATED

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


CHECK = "__check"


def _first_failure(frame: pl.DataFrame, checks: list[Check]) -> pl.Series:
    """The index of the first failing check of each row (null when all pass), as ``UInt16``.

    The checks are materialised as boolean columns in one ``select`` (polars evaluates them in
    parallel); the rows failing any of them (a few per cent) are found with one horizontal ``or``, and
    only for those is the first failing index picked (``coalesce``; a nested when/then chain over every
    row was 3x slower, and picking the index over every row costs as much as the checks)."""
    nobody = pl.repeat(None, frame.height, dtype=pl.UInt16, eager=True)
    if not checks:
        return nobody.alias(CHECK)
    flags = frame.select([c.failing.fill_null(False).alias(f"__fail{i}") for i, c in enumerate(checks)])
    failing = flags.select(pl.arg_where(pl.any_horizontal(pl.all()))).to_series()
    if failing.len() == 0:
        return nobody.alias(CHECK)
    first = (
        flags[failing]
        .select(
            pl.coalesce(
                [pl.when(pl.col(f)).then(pl.lit(i, dtype=pl.UInt16)) for i, f in enumerate(flags.columns)]
            )
        )
        .to_series()
    )
    return nobody.scatter(failing, first).alias(CHECK)


def _fast_parse_expr(column: Column) -> pl.Expr:
    """The common case of ``parse_expr``: integers by a plain cast, dates in the first format only."""
    raw = pl.col(_raw(column.name))
    match column.dtype:
        case "int":
            return raw.cast(pl.Int64, strict=False)
        case "date":
            return raw.str.strptime(pl.Date, DATE_FORMATS[0], strict=False)
    return parse_expr(column)


def _parse(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Add the typed column of every contract column (``parse_expr``), from its ``__raw_`` text.

    Integers and dates are parsed the common way first (``_fast_parse_expr``: a plain cast; the first
    date format); only the values this does not read (null, yet not empty) go through the whole of
    ``parse_expr`` (the ``[,.]0+$`` clean-up of ``"3,0"``; the other date formats). Same values as
    ``parse_expr`` for every row: a value the plain cast reads has no ``,`` or ``.``, so the clean-up
    would not change it, and ``parse_expr`` takes the first date format that reads a value. It saves a
    regex replace, or a second date parse, over every row."""
    frame = frame.with_columns([_fast_parse_expr(c).alias(c.name) for c in contract.columns])
    for c in contract.columns:
        if c.dtype not in ("int", "date"):
            continue
        unread = frame.select(
            pl.arg_where(pl.col(c.name).is_null() & pl.col(_raw(c.name)).is_not_null())
        ).to_series()
        if unread.len():
            retried = frame.select(_raw(c.name))[unread].select(parse_expr(c)).to_series()
            frame = frame.with_columns(frame[c.name].scatter(unread, retried))
    return frame


STATE_CHECKS = {
    "outside_enrollment": lambda rows, ref: state.outside_enrollment(rows, "absence_date", ref),
    "duplicate_enrollment": state.duplicate_enrollment,
}
# The columns each state check reads from the new rows (only those are gathered for it).
STATE_CHECK_COLUMNS = {
    "outside_enrollment": ("student_code", "absence_date"),
    "duplicate_enrollment": ("student_code", "school_code", "event_type", "event_date"),
}


def _row_checks(
    frame: pl.DataFrame,
    contract: Contract,
    references: dict[str, pl.DataFrame],
    expected_partition: dict[str, str],
    read_checks: tuple[tuple[str, str, pl.Expr], ...],
) -> list[Check]:
    """The row checks in the order a row's first failure is reported: a cut last line, the faults found
    while reading, the columns', the contract's rules, the partition, the foreign keys (against the
    current state of the referenced entities given)."""
    checks: list[Check] = []
    if TRUNCATED in frame.columns:
        checks.append(
            Check(
                "truncated_line",
                "the last line of the file was cut (no line end, or fewer fields than the header)",
                pl.col(TRUNCATED),
            )
        )
    checks += [Check(reason, message, failing) for reason, message, failing in read_checks]
    checks += column_checks(contract)
    checks += [Check(rule.reason, rule.message, ~rule.valid()) for rule in contract.rules]
    checks += [
        Check("wrong_partition", f"{key} differs from the file's {key} {value}", pl.col(key) != value)
        for key, value in expected_partition.items()
    ]
    checks += [
        Check(
            fk.reason,
            f"{', '.join(fk.columns)} not found in {fk.entity}",
            ~_resolves(fk, ref, expected_partition),
        )
        for fk in contract.foreign_keys
        if (ref := references.get(fk.entity)) is not None
    ]
    return checks


def validate(
    raw: pl.DataFrame,
    contract: Contract,
    references: dict[str, pl.DataFrame] | None = None,
    expected_partition: dict[str, str] | None = None,
    read_checks: tuple[tuple[str, str, pl.Expr], ...] = (),
) -> ValidationResult:
    """Validate a string frame (``read_batch`` output) against ``contract``.

    ``references`` maps a referenced entity name to its current state in the lake (for the foreign keys
    and the state checks of the contract).
    ``expected_partition`` holds the school year and region the file was exported for; rows claiming
    another one are quarantined.
    ``read_checks`` (``RawBatch.row_checks``): the faults found while reading (ragged lines, values under
    an unrecognised header), checked right after a cut last line.

    Each row's outcome is kept as the index of its first failing check (``__check``, null while the row
    is clean): reason and message strings are built for the quarantined rows only.
    """
    references = references or {}
    expected_partition = expected_partition or {}
    # Canonical names hold typed values; the original text is kept under __raw_<name>.
    frame = _parse(raw.rename({c.name: _raw(c.name) for c in contract.columns}), contract)

    checks = _row_checks(frame, contract, references, expected_partition, read_checks)
    outcomes = [(c.reason, c.message) for c in checks]
    frame = frame.with_columns(_first_failure(frame, checks))
    frame = _duplicates(frame, contract, outcomes)

    # Checks against the current state of other entities (enrollment periods...), on rows still clean.
    for check in contract.state_checks:
        ref = references.get(check.entity)
        if ref is None:
            continue
        clean_at = frame.select(pl.arg_where(pl.col(CHECK).is_null())).to_series()
        rows = frame.select(STATE_CHECK_COLUMNS[check.reason])[clean_at]
        failing = STATE_CHECKS[check.reason](rows, ref)
        frame = _set_outcome(frame, clean_at.filter(failing), outcomes, check.reason, check.message)

    data_cols = contract.column_names
    clean = frame.get_column(CHECK).is_null()
    accepted = frame.select([*data_cols, "_line_number"]).filter(clean)
    index = list(range(len(outcomes)))
    quarantined = frame.filter(~clean).select(
        pl.col("_line_number"),
        pl.col(CHECK)
        .replace_strict(index, [r for r, _ in outcomes], return_dtype=pl.String)
        .alias("reason_code"),
        pl.col(CHECK)
        .replace_strict(index, [m for _, m in outcomes], return_dtype=pl.String)
        .alias("message"),
        pl.struct(
            [pl.col(_raw(c)).alias(c) for c in data_cols]
            + ([pl.col(EXTRA).alias("_extra_fields")] if EXTRA in frame.columns else [])
        )
        .struct.json_encode()
        .alias("raw"),
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


def _set_outcome(
    frame: pl.DataFrame, rows: pl.Series, outcomes: list[tuple[str, str]], reason: str, message: str
) -> pl.DataFrame:
    """Give outcome (``reason``, ``message``) to ``rows`` (row indices of rows still clean)."""
    if rows.len() == 0:
        return frame
    outcomes.append((reason, message))
    code = pl.Series([len(outcomes) - 1] * rows.len(), dtype=pl.UInt16)
    return frame.with_columns(frame.get_column(CHECK).scatter(rows, code))


def _duplicates(frame: pl.DataFrame, contract: Contract, outcomes: list[tuple[str, str]]) -> pl.DataFrame:
    """Among rows still clean: an exact copy of an earlier row (``duplicate_row``), else a second row for
    the same key (``duplicate_key``). Only rows whose key occurs twice can be either: the others are not
    hashed whole. Those rows are found by hashing the key (equal keys, equal hashes; a rare hash
    collision only adds a row with a unique key, which is neither a copy nor a repeat)."""
    key_cols = list(contract.primary_key)
    # One hash per key column (seeded by position), combined by xor: ten times cheaper than hashing a
    # struct. The repeated hashes are found by sorting them (``is_duplicated`` builds a hash table of
    # every row, twice as slow when nearly all keys are distinct).
    key_hash = functools.reduce(operator.xor, [pl.col(c).hash(i) for i, c in enumerate(key_cols)])
    hashes = frame.select(key_hash).to_series().sort()
    repeated_hashes = hashes.filter(hashes == hashes.shift(1)).unique()
    suspects = frame.select(pl.arg_where(key_hash.is_in(repeated_hashes.implode()))).to_series()
    if suspects.len() == 0:
        return frame
    raw_cols = [_raw(c) for c in contract.column_names]
    sub = frame.select(*raw_cols, *key_cols, CHECK)[suspects]
    copies = sub.select(pl.col(CHECK).is_null() & ~pl.struct(raw_cols).is_first_distinct()).to_series()
    frame = _set_outcome(
        frame,
        suspects.filter(copies),
        outcomes,
        "duplicate_row",
        "exact copy of an earlier row of the same file",
    )
    sub = sub.with_columns(frame.get_column(CHECK).gather(suspects))
    clean = pl.col(CHECK).is_null()
    repeated = sub.select(clean & ~pl.struct(key_cols).is_first_distinct().over(clean)).to_series()
    return _set_outcome(
        frame,
        suspects.filter(repeated),
        outcomes,
        "duplicate_key",
        f"a row with the same key ({', '.join(contract.primary_key)}) came earlier",
    )
