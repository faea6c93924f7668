"""Fault injection: a registry of fault classes, each a small function over rows already in text form.

A fault class names the entities it applies to (or a test on the contract) and either *mutates*
rows (returns corrupted copies) or *duplicates* them. The engine (:func:`inject`) picks
``Binomial(rows, fault_rate)`` rows of a file, spreads them evenly over the classes that apply, and
records each faulty line. Every faulty line carries exactly one fault class:

- rows of leaf entities (no other entity references them) are replaced by their corrupted copy;
- rows of referenced entities (pupils, teachers) are never replaced: the corrupted copy is *added*,
  with a fresh identifier that exists nowhere else, so that the rows referring to the real pupil or
  teacher stay valid (no cascade of foreign-key failures);
- a duplicate is an exact copy of a clean row, inserted after it; the copy is the faulty line;
- schools and classes are never touched, so that referential checks stay meaningful.

Add a class with :func:`register` (see the examples below): nothing else needs to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from ingestion.contracts import CONTRACTS, Contract
from massar.synthetic import codes
from massar.synthetic.calendar import first_year_of

PROTECTED_ENTITIES = ("schools", "classes")
_ROW = "_row"
_FAULT = "_fault"


@dataclass(frozen=True)
class FaultContext:
    contract: Contract
    school_year: str
    rng: np.random.Generator


@dataclass(frozen=True)
class FaultClass:
    name: str
    applies: Callable[[Contract], bool]
    mutate: Callable[[pl.DataFrame, FaultContext], pl.DataFrame] | None = None
    eligible: Callable[[pl.DataFrame], pl.Series] | None = None  # rows the class can corrupt
    duplicate: bool = False
    description: str = ""


REGISTRY: dict[str, FaultClass] = {}


def register(
    name: str,
    *,
    entities: tuple[str, ...] | None = None,
    applies: Callable[[Contract], bool] | None = None,
    eligible: Callable[[pl.DataFrame], pl.Series] | None = None,
    duplicate: bool = False,
) -> Callable[[Callable[[pl.DataFrame, FaultContext], pl.DataFrame]], Callable[..., pl.DataFrame]]:
    """Decorator registering a fault class. ``entities`` and ``applies`` both restrict where it applies."""

    def decorator(fn: Callable[[pl.DataFrame, FaultContext], pl.DataFrame]) -> Callable[..., pl.DataFrame]:
        def where(contract: Contract) -> bool:
            if contract.name in PROTECTED_ENTITIES:
                return False
            if entities is not None and contract.name not in entities:
                return False
            return applies(contract) if applies else True

        REGISTRY[name] = FaultClass(
            name, where, None if duplicate else fn, eligible, duplicate, (fn.__doc__ or "").strip()
        )
        return fn

    return decorator


def referenced_entities() -> set[str]:
    """Entities that other entities point to through a foreign key."""
    return {fk.entity for c in CONTRACTS.values() for fk in c.foreign_keys}


def key_columns_referenced(entity: str) -> list[str]:
    """Columns of ``entity`` that other entities reference (besides school_year): the identity."""
    cols = {
        col
        for c in CONTRACTS.values()
        for fk in c.foreign_keys
        if fk.entity == entity
        for col in fk.ref_columns
    }
    return sorted(cols - {"school_year", "region_code"})


def _choice(rng: np.random.Generator, values: list[str], size: int) -> list[str]:
    return [values[i] for i in rng.integers(0, len(values), size)]


# --- the fault classes ----------------------------------------------------------------------------


@register("invalid_student_code", applies=lambda c: "student_code" in c.column_names)
def invalid_student_code(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The pupil code breaks its pattern: lower-case letter, 8 or 10 digits, or a digit for the letter."""
    variant = ctx.rng.integers(0, 4, rows.height)
    out = []
    for code, v in zip(rows["student_code"].to_list(), variant.tolist(), strict=True):
        if v == 0:
            out.append(code[0].lower() + code[1:])
        elif v == 1:
            out.append(code[:-1])
        elif v == 2:
            out.append(code + str(len(code) % 10))
        else:
            out.append(str(ord(code[0]) % 10) + code[1:])
    return rows.with_columns(pl.Series("student_code", out, dtype=pl.String))


@register("duplicate_row", duplicate=True)
def duplicate_row(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """An exact copy of a clean row, later in the file (the copy is the faulty line)."""
    return rows


def _graded(rows: pl.DataFrame) -> pl.Series:
    return rows["grade"].is_not_null()


@register("grade_out_of_range", applies=lambda c: "grade" in c.column_names, eligible=_graded)
def grade_out_of_range(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The grade is a number outside 0-20."""
    values = ["23,5", "-1", "20,5", "21", "-0,5", "105"]
    return rows.with_columns(pl.Series("grade", _choice(ctx.rng, values, rows.height), dtype=pl.String))


@register("grade_not_a_number", applies=lambda c: "grade" in c.column_names, eligible=_graded)
def grade_not_a_number(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The grade is not a number."""
    values = ["abs", "12,5x", "1O,5", "?", "dix", "12,,5"]
    return rows.with_columns(pl.Series("grade", _choice(ctx.rng, values, rows.height), dtype=pl.String))


@register("unknown_school", entities=("enrollments", "absences"))
def unknown_school(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A school code that matches the pattern but exists nowhere.

    The class code is moved to the same phantom school (``<unknown>-<level>-<nn>``), as a real export
    of that school would have it, so row rules tying the class to the school still hold; the class
    foreign key fails too, after the school one (contract order).
    """
    new = pl.Series("school_code", codes.unknown_school_codes(ctx.rng, rows.height), dtype=pl.String)
    old = rows["school_code"]
    out = rows.with_columns(new)
    if "class_code" in rows.columns:
        klass = rows["class_code"]
        moved = pl.select(
            pl.when(klass.str.starts_with(old))
            .then(new + klass.str.slice(old.str.len_chars()))
            .otherwise(klass)
        ).to_series()
        out = out.with_columns(moved.alias("class_code"))
    return out


def _blankable(contract: Contract) -> list[str]:
    """Mandatory columns whose absence is the only fault: not keys, not references, not partitions."""
    fk_cols = {c for fk in contract.foreign_keys for c in fk.columns}
    skip = set(contract.primary_key) | fk_cols | set(contract.partition_by)
    return [c.name for c in contract.columns if c.required and c.name not in skip]


@register("missing_mandatory", applies=lambda c: bool(_blankable(c)))
def missing_mandatory(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A mandatory field is empty."""
    candidates = _blankable(ctx.contract)
    which = ctx.rng.integers(0, len(candidates), rows.height)
    return rows.with_columns(
        pl.when(pl.Series(which) == i).then(None).otherwise(pl.col(name)).alias(name)
        for i, name in enumerate(candidates)
    )


def _date_columns(contract: Contract) -> list[str]:
    return [c.name for c in contract.columns if c.dtype == "date"]


def _future(text: str, school_year: str) -> str:
    """Move a dd/mm/yyyy date forward by whole 156-week steps (same weekday) past the school year."""
    d = date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    limit = date(first_year_of(school_year) + 1, 8, 31)
    while d <= limit:
        d += timedelta(weeks=156)
    return d.strftime("%d/%m/%Y")


@register("future_date", applies=lambda c: bool(_date_columns(c)))
def future_date(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A date lies in a later school year (about three years on, same weekday)."""
    candidates = _date_columns(ctx.contract)
    which = ctx.rng.integers(0, len(candidates), rows.height)
    out = rows
    for i, name in enumerate(candidates):
        shifted = [
            _future(v, ctx.school_year) if (w == i and v) else v
            for v, w in zip(rows[name].to_list(), which.tolist(), strict=True)
        ]
        out = out.with_columns(pl.Series(name, shifted, dtype=pl.String))
    return out


# --- the engine -----------------------------------------------------------------------------------


@dataclass
class Injection:
    """The file's rows after injection and the faulty lines (physical line numbers, header = 1)."""

    text: pl.DataFrame
    faults: list[tuple[int, str]] = field(default_factory=list)


def applicable(contract: Contract) -> list[FaultClass]:
    classes = [f for f in REGISTRY.values() if f.applies(contract)]
    return [f for f in classes if not f.duplicate] + [f for f in classes if f.duplicate]


def inject(
    text: pl.DataFrame,
    contract: Contract,
    school_year: str,
    fault_rate: float,
    rng: np.random.Generator,
    fresh_keys: Callable[[int], dict[str, pl.Series]] | None = None,
) -> Injection:
    """Corrupt about ``fault_rate`` of the rows of one file (text form, contract columns).

    ``fresh_keys(n)`` gives ``n`` new identifiers for the referenced columns of a referenced entity
    (``student_code`` of pupils, ``teacher_code`` of teachers).
    """
    classes = applicable(contract)
    n = text.height
    if fault_rate <= 0 or n == 0 or not classes:
        return Injection(text)
    total = int(rng.binomial(n, min(fault_rate, 1.0)))
    counts = rng.multinomial(total, np.full(len(classes), 1.0 / len(classes)))
    adds = contract.name in referenced_entities()
    if adds and fresh_keys is None:
        raise ValueError(f"{contract.name} is referenced by other entities: fault injection needs fresh_keys")
    ctx = FaultContext(contract, school_year, rng)
    used = np.zeros(n, dtype=bool)
    replaced: list[pl.DataFrame] = []
    added: list[pl.DataFrame] = []
    for fault, count in zip(classes, counts.tolist(), strict=True):
        ok = ~used
        if fault.eligible is not None:
            ok &= fault.eligible(text).to_numpy()
        pool = np.flatnonzero(ok)
        k = min(count, len(pool))
        if k == 0:
            continue
        pick = np.sort(rng.choice(pool, size=k, replace=False))
        rows = text[pick]
        if fault.duplicate:
            used[pick] = True
            after = pick + np.floor(rng.random(k) * (n - pick)).astype(np.int64)
            added.append(rows.with_columns(pl.Series(_ROW, 2 * after + 1), pl.lit(fault.name).alias(_FAULT)))
            continue
        assert fault.mutate is not None
        if adds and fresh_keys is not None:
            rows = rows.with_columns(**fresh_keys(k))
            bad = fault.mutate(rows, ctx)
            where = np.floor(rng.random(k) * n).astype(np.int64)
            added.append(bad.with_columns(pl.Series(_ROW, 2 * where + 1), pl.lit(fault.name).alias(_FAULT)))
        else:
            used[pick] = True
            bad = fault.mutate(rows, ctx)
            replaced.append(bad.with_columns(pl.Series(_ROW, 2 * pick), pl.lit(fault.name).alias(_FAULT)))
    if not replaced and not added:
        return Injection(text)
    replaced_rows = (
        np.concatenate([r[_ROW].to_numpy() // 2 for r in replaced]) if replaced else np.array([], int)
    )
    keep = np.ones(n, dtype=bool)
    keep[replaced_rows] = False
    base = text.with_columns(pl.Series(_ROW, 2 * np.arange(n)), pl.lit(None, dtype=pl.String).alias(_FAULT))
    base = base.filter(pl.Series(keep))
    parts = [base, *replaced, *added]
    merged = pl.concat([p.with_columns(pl.col(_ROW).cast(pl.Int64)) for p in parts], how="vertical")
    merged = merged.with_columns(
        pl.Series("_part", np.repeat(np.arange(len(parts)), [p.height for p in parts]))
    )
    merged = merged.with_row_index("_seq").sort([_ROW, "_part", "_seq"])
    faulty = np.flatnonzero(merged[_FAULT].is_not_null().to_numpy())
    faults = list(zip((faulty + 2).tolist(), merged[_FAULT].gather(faulty).to_list(), strict=True))
    return Injection(merged.select(contract.column_names), faults)
