"""Fault injection: a registry of fault classes, each a small function over rows already in text form.

A fault class names the entities it applies to (or a test on the contract) and either *mutates*
rows (returns corrupted copies) or *duplicates* them. The engine (:func:`inject`) corrupts
``Binomial(rows, rate)`` rows of a file per class (``rate`` = ``fault_rate`` spread evenly over the
classes that apply, or the class's own rate), among the rows the class can corrupt, and records each
faulty line. A class with a positive rate that has made no faulty line in the run's earlier files of the
entity corrupts one row even when its draw gives none (``owed``), in a file that keeps at least half its
rows clean: every class enabled for an entity is injected at least once in a run where the entity has
enough rows (files of two rows or more with a row the class can corrupt), whatever the rates.
Every faulty line carries exactly one fault class:

- rows of leaf entities (no other entity references them) are replaced by their corrupted copy;
- rows of referenced entities (pupils, teachers) are never replaced: the corrupted copy is *added*,
  with a fresh identifier that exists nowhere else, so that the rows referring to the real pupil or
  teacher stay valid (no cascade of foreign-key failures);
- a duplicate is an exact copy of a clean row, inserted after it; the copy is the faulty line (an
  *insert* class likewise adds a mutated copy after the clean row, e.g. ``duplicate_enrollment``);
- enrollment start events of pupils with absences or exam results are never replaced (the absences
  would fall outside any enrollment, the results would lose their enrollment);
- schools and classes are never touched, so that referential checks stay meaningful.

Every class declares the outcome the ingestion must give its faulty line (:attr:`FaultClass.outcome`:
a quarantine reason code, or ``read_ok``, ``superseded``, ``deleted``) and its level (``row`` or
``file``). File-level classes and the classes tied to daily drops (truncated last line, encoding,
headers, late correction, deleted enrollment) are declared here too, with :func:`declare`, and applied
by :mod:`synthetic.drops`. docs/faults.md lists them all.

A mutated row whose primary key would collide with another row of the file is left clean, so that a
faulty line never trips a second check (duplicate key) besides its own.

Add a class with :func:`register` (see the examples below): nothing else needs to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from ingestion.contracts import CONTRACTS, Contract
from synthetic import codes
from synthetic.calendar import first_year_of

PROTECTED_ENTITIES = ("schools", "classes")
_ROW = "_row"
_FAULT = "_fault"


@dataclass(frozen=True)
class RegionYear:
    """What some fault classes need to know about the region and year besides the file itself."""

    first_day: date
    last_day: date
    school_days: frozenset[date]
    holidays: tuple[date, ...]  # days off between the first and the last day (Sundays excluded)
    classes: pl.DataFrame  # class_code, school_code, level_code
    windows: pl.DataFrame  # student_code, school_code, start (date), end (date or null), moved (bool)
    dependent_pupils: pl.Series  # pupils whose rows need their enrollment: with absences or exam results


@dataclass(frozen=True)
class FaultContext:
    contract: Contract
    school_year: str
    rng: np.random.Generator
    region: RegionYear | None = None


Eligible = Callable[[pl.DataFrame, FaultContext], pl.Series]


@dataclass(frozen=True)
class FaultClass:
    name: str
    applies: Callable[[Contract], bool]
    mutate: Callable[[pl.DataFrame, FaultContext], pl.DataFrame] | None = None
    eligible: Eligible | None = None  # rows the class can corrupt
    duplicate: bool = False  # the faulty line is an exact copy of a clean row, inserted after it
    insert: bool = False  # the faulty line is a mutated copy of a clean row, inserted after it
    outcome: str = ""  # what the ingestion must do with the faulty line
    level: str = "row"  # "row" or "file"
    engine: bool = True  # applied by inject(); False: applied by synthetic.drops
    description: str = ""


REGISTRY: dict[str, FaultClass] = {}


def _where(entities: tuple[str, ...] | None, applies: Callable[[Contract], bool] | None) -> Callable:
    def where(contract: Contract) -> bool:
        if contract.name in PROTECTED_ENTITIES:
            return False
        if entities is not None and contract.name not in entities:
            return False
        return applies(contract) if applies else True

    return where


def register(
    name: str,
    *,
    outcome: str,
    entities: tuple[str, ...] | None = None,
    applies: Callable[[Contract], bool] | None = None,
    eligible: Eligible | None = None,
    duplicate: bool = False,
    insert: bool = False,
) -> Callable[[Callable[[pl.DataFrame, FaultContext], pl.DataFrame]], Callable[..., pl.DataFrame]]:
    """Decorator registering a row fault class applied by :func:`inject`.

    ``entities`` and ``applies`` both restrict where it applies."""

    def decorator(fn: Callable[[pl.DataFrame, FaultContext], pl.DataFrame]) -> Callable[..., pl.DataFrame]:
        REGISTRY[name] = FaultClass(
            name,
            _where(entities, applies),
            None if duplicate else fn,
            eligible,
            duplicate,
            insert,
            outcome,
            "row",
            True,
            (fn.__doc__ or "").strip(),
        )
        return fn

    return decorator


def extend(name: str, entity: str) -> None:
    """Opt ``entity`` (a domain's contract) into the existing class ``name`` as well (see
    :mod:`synthetic.domains`): the class keeps applying where it applied, plus to ``entity``."""
    fault = REGISTRY[name]
    before = fault.applies
    REGISTRY[name] = replace(fault, applies=lambda c: before(c) or c.name == entity)


def declare(
    name: str, *, outcome: str, level: str, description: str, entities: tuple[str, ...] | None = None
) -> None:
    """Declare a class applied outside :func:`inject` (by :mod:`synthetic.drops`)."""
    REGISTRY[name] = FaultClass(
        name, _where(entities, None), outcome=outcome, level=level, engine=False, description=description
    )


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


@register(
    "invalid_student_code", outcome="invalid_format", applies=lambda c: "student_code" in c.column_names
)
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


@register("duplicate_row", outcome="duplicate_row", duplicate=True)
def duplicate_row(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """An exact copy of a clean row, later in the file (the copy is the faulty line)."""
    return rows


def _graded(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    return rows["grade"].is_not_null()


@register(
    "grade_out_of_range",
    outcome="out_of_range",
    applies=lambda c: "grade" in c.column_names,
    eligible=_graded,
)
def grade_out_of_range(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The grade is a number outside 0-20."""
    values = ["23,5", "-1", "20,5", "21", "-0,5", "105"]
    return rows.with_columns(pl.Series("grade", _choice(ctx.rng, values, rows.height), dtype=pl.String))


@register(
    "grade_not_a_number",
    outcome="invalid_type",
    applies=lambda c: "grade" in c.column_names,
    eligible=_graded,
)
def grade_not_a_number(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The grade is not a number."""
    values = ["abs", "12,5x", "1O,5", "?", "dix", "12,,5"]
    return rows.with_columns(pl.Series("grade", _choice(ctx.rng, values, rows.height), dtype=pl.String))


@register("unknown_school", outcome="unknown_school", entities=("enrollments", "absences", "exam_results"))
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


@register("missing_mandatory", outcome="missing_mandatory", applies=lambda c: bool(_blankable(c)))
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


@register("future_date", outcome="impossible_date", applies=lambda c: bool(_date_columns(c)))
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


_IMPOSSIBLE_DAYS = ("30/02", "31/02", "29/02", "31/04", "31/06", "31/09", "31/11", "00/01", "32/12", "15/13")


@register("impossible_date", outcome="invalid_type", applies=lambda c: bool(_date_columns(c)))
def impossible_date(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A date that does not exist on the calendar (31/02/2025, 31/04/2025, 15/13/2025...), same year.

    29/02 is only used in years that are not leap years."""
    candidates = _date_columns(ctx.contract)
    which = ctx.rng.integers(0, len(candidates), rows.height)
    pick = ctx.rng.integers(0, len(_IMPOSSIBLE_DAYS), rows.height)
    out = rows
    for i, name in enumerate(candidates):
        values = []
        for v, w, p in zip(rows[name].to_list(), which.tolist(), pick.tolist(), strict=True):
            if w != i or not v:
                values.append(v)
                continue
            year = int(v[6:10])
            day = _IMPOSSIBLE_DAYS[p]
            if day == "29/02" and (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
                day = "30/02"
            values.append(f"{day}/{year}")
        out = out.with_columns(pl.Series(name, values, dtype=pl.String))
    return out


def _class_parts(klass: str) -> tuple[str, str]:
    school, level, _ = klass.rsplit("-", 2) if klass.count("-") == 2 else (klass, "", "")
    return school, level


@register("unknown_class", outcome="unknown_class", applies=lambda c: "class_code" in c.column_names)
def unknown_class(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A class code of the right pattern, of the row's (existing) school and level, that does not exist
    (section numbers 90-99: no school has that many classes of a level)."""
    numbers = ctx.rng.integers(90, 100, rows.height)
    out = []
    for klass, nn in zip(rows["class_code"].to_list(), numbers.tolist(), strict=True):
        school, level = _class_parts(klass)
        out.append(f"{school}-{level}-{nn:02d}")
    return rows.with_columns(pl.Series("class_code", out, dtype=pl.String))


def _starts_elsewhere(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    """Start events (entry, re_enrollment) of pupils without a transfer whose level has another school."""
    assert ctx.region is not None
    level_schools = ctx.region.classes.group_by("level_code").agg(pl.col("school_code").n_unique().alias("n"))
    moved = ctx.region.windows.filter(pl.col("moved")).select("student_code").unique()
    probe = rows.select("student_code", "level_code", "event_type").with_row_index("_i")
    ok = (
        probe.join(level_schools, on="level_code", how="left")
        .join(moved.with_columns(pl.lit(True).alias("_moved")), on="student_code", how="left")
        .sort("_i")
        .select(
            pl.col("event_type").is_in(["entry", "re_enrollment"])
            & (pl.col("n").fill_null(0) > 1)
            & pl.col("_moved").is_null()
        )
        .to_series()
    )
    return ok


@register("duplicate_enrollment", outcome="duplicate_enrollment", entities=("enrollments",),
          eligible=_starts_elsewhere, insert=True)  # fmt: skip
def duplicate_enrollment(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The same pupil enrolled a second time in the year: a copy of the start event (entry or
    re_enrollment) in a class of the same level at another school of the region, without a transfer."""
    assert ctx.region is not None
    classes = ctx.region.classes
    by_level = {
        level: (frame["class_code"].to_list(), frame["school_code"].to_list())
        for (level,), frame in classes.sort("class_code").group_by("level_code", maintain_order=True)
    }
    out_class, out_school = [], []
    for school, level in zip(rows["school_code"].to_list(), rows["level_code"].to_list(), strict=True):
        codes_, schools_ = by_level[level]
        others = [i for i, s in enumerate(schools_) if s != school]
        i = others[int(ctx.rng.integers(len(others)))]
        out_class.append(codes_[i])
        out_school.append(schools_[i])
    return rows.with_columns(
        pl.Series("school_code", out_school, dtype=pl.String),
        pl.Series("class_code", out_class, dtype=pl.String),
    )


def _parse(text: str) -> date:
    return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))


def _windows_of(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """Per row: the pupil's enrollment window at the row's school (start, end exclusive or null, moved)."""
    assert ctx.region is not None
    return (
        rows.select("student_code", "school_code")
        .with_row_index("_i")
        .join(ctx.region.windows, on=["student_code", "school_code"], how="left")
        .sort("_i")
    )


def _in_window(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    w = _windows_of(rows, ctx)
    return w["start"].is_not_null()


def _move_dates(rows: pl.DataFrame, ctx: FaultContext, choices: Callable[[dict], list[date]]) -> pl.DataFrame:
    """Replace ``absence_date`` by the choice nearest to the original date; ``choices(window)`` lists the
    allowed dates of a row. Keys stay unique among the moved rows (else the next nearest is taken).
    """
    w = _windows_of(rows, ctx)
    used: set[tuple[str, date, str]] = set()
    out: list[str | None] = []
    for row, window in zip(rows.iter_rows(named=True), w.iter_rows(named=True), strict=True):
        original = _parse(row["absence_date"])
        options = sorted(choices(window), key=lambda d: (abs((d - original).days), d))
        chosen = None
        for d in options:
            key = (row["student_code"], d, row["session_number"])
            if key not in used:
                used.add(key)
                chosen = d
                break
        # no free date left: the row stays as it was (the engine then leaves it clean)
        out.append(chosen.strftime("%d/%m/%Y") if chosen else row["absence_date"])
    return rows.with_columns(pl.Series("absence_date", out, dtype=pl.String))


def _within(days: list[date], window: dict) -> list[date]:
    start, end = window["start"], window["end"]
    return [d for d in days if d >= start and (end is None or d < end)]


@register("absence_on_holiday", outcome="non_school_day", entities=("absences",), eligible=_in_window)
def absence_on_holiday(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The absence falls on a holiday or a break day (while the pupil is enrolled at the school)."""
    assert ctx.region is not None
    days = [d for d in ctx.region.holidays if d.weekday() != 6]
    return _move_dates(rows, ctx, lambda w: _within(days, w))


@register("absence_on_weekend", outcome="non_school_day", entities=("absences",), eligible=_in_window)
def absence_on_weekend(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The absence falls on a Sunday (while the pupil is enrolled at the school)."""
    assert ctx.region is not None
    first = ctx.region.first_day + timedelta(days=(6 - ctx.region.first_day.weekday()) % 7)
    sundays = [first + timedelta(weeks=k) for k in range((ctx.region.last_day - first).days // 7 + 1)]
    return _move_dates(rows, ctx, lambda w: _within(sundays, w))


def _outside(window: dict, ctx: FaultContext) -> list[date]:
    assert ctx.region is not None
    start, end = window["start"], window["end"]
    return [d for d in ctx.region.school_days if d < start or (end is not None and d >= end)]


def _outside_possible(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    assert ctx.region is not None
    w = _windows_of(rows, ctx)
    first = min(ctx.region.school_days)
    return (
        w["start"].is_not_null()
        & ~w["moved"].fill_null(True)
        & ((w["start"] > first) | w["end"].is_not_null())
    )


@register("absence_outside_enrollment", outcome="outside_enrollment", entities=("absences",),
          eligible=_outside_possible)  # fmt: skip
def absence_outside_enrollment(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The absence falls on a school day before the pupil's entry or after the pupil's dropout (pupils
    who did not change school that year, so the window is the same for the pupil and the school)."""
    return _move_dates(rows, ctx, lambda w: _outside(w, ctx))


# Classes applied by synthetic.drops (file rendering and daily drops).
declare(
    "truncated_last_line",
    outcome="truncated_line",
    level="row",
    description="The file's last line is cut in the middle of a row, without a final line end.",
)
declare(
    "encoding_cp1256",
    outcome="read_ok",
    level="file",
    description="The whole file is written in Windows-1256 instead of UTF-8 (no BOM); line 0.",
)
declare(
    "renamed_header",
    outcome="read_ok",
    level="file",
    description="A header is spelled with one of the contract's aliases; line 1.",
)
declare(
    "reordered_header",
    outcome="read_ok",
    level="file",
    description="The columns come in another order (header and data); line 1.",
)
declare(
    "late_correction",
    outcome="superseded",
    level="row",
    entities=("grades",),
    description="A later daily drop repeats a grade's key with a new mark (the correcting line).",
)
declare("deleted_enrollment", outcome="deleted", level="row", entities=("enrollments",),
        description="An enrollment listed in an enrollments__<date>__deleted.csv file.")  # fmt: skip


# --- the engine -----------------------------------------------------------------------------------


@dataclass
class Injection:
    """The file's rows after injection and the faulty lines (physical line numbers, header = 1)."""

    text: pl.DataFrame
    faults: list[tuple[int, str]] = field(default_factory=list)


def applicable(contract: Contract) -> list[FaultClass]:
    """The classes :func:`inject` applies to the contract's files (duplicates last)."""
    classes = [f for f in REGISTRY.values() if f.engine and f.applies(contract)]
    return [f for f in classes if not f.duplicate] + [f for f in classes if f.duplicate]


def class_rates(contract: Contract, fault_rate: float, rates: dict[str, float] | None) -> dict[str, float]:
    """Per applicable class: the share of the file's rows it corrupts (``fault_rate`` spread evenly over
    the classes, unless ``rates`` names the class)."""
    classes = applicable(contract)
    even = fault_rate / len(classes) if classes else 0.0
    return {f.name: min(1.0, (rates or {}).get(f.name, even)) for f in classes}


def _keys(frame: pl.DataFrame, key: list[str]) -> pl.Series:
    return frame.select(
        pl.concat_str([pl.col(c).fill_null("\x00") for c in key], separator="\x1f")
    ).to_series()


def _key_hashes(frame: pl.DataFrame, key: list[str]) -> np.ndarray:
    """64-bit hashes of the rows' keys (the same key gives the same hash in every frame)."""
    return frame.select(pl.struct(key).hash(seed=0)).to_series().to_numpy()


def _in_sorted(values: np.ndarray, sorted_hashes: np.ndarray) -> np.ndarray:
    """Membership of ``values`` in ``sorted_hashes`` by binary search (no hash table of the whole file per
    fault class; a hash collision only makes a mutation be dropped as a clash)."""
    if not len(sorted_hashes):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_hashes, values), len(sorted_hashes) - 1)
    return sorted_hashes[at] == values


def _absence_anchors(text: pl.DataFrame, contract: Contract, region: RegionYear | None) -> np.ndarray:
    """Per row: an enrollment start event (entry, re_enrollment, transfer_in) of a dependent pupil."""
    if contract.name != "enrollments" or region is None or text.height == 0:
        return np.zeros(text.height, dtype=bool)
    return (
        text.select(
            pl.col("event_type").is_in(["entry", "re_enrollment", "transfer_in"])
            & pl.col("student_code").is_in(region.dependent_pupils.implode())
        )
        .to_series()
        .fill_null(False)
        .to_numpy()
    )


@dataclass
class _File:
    """One file under injection: its rows, those a class already used, those never replaced, the keys of
    the faulty lines made, and its sorted key hashes (computed once, when a mutation first moves a key)."""

    text: pl.DataFrame
    ctx: FaultContext
    key: list[str]
    taken: set[str]
    used: np.ndarray
    keep_clean: np.ndarray
    file_keys: np.ndarray | None = None

    def pool(self, fault: FaultClass) -> np.ndarray:
        """The rows ``fault`` may take (a replacing class never takes a row to keep clean)."""
        if fault.duplicate or fault.insert:
            return np.flatnonzero(~self.used)
        return np.flatnonzero(~self.used & ~self.keep_clean)

    def pick(self, fault: FaultClass, count: int, pool: np.ndarray) -> np.ndarray:
        """Up to ``count`` rows of ``pool`` drawn for ``fault`` (the eligible ones, if it has a rule)."""
        rng, text, ctx = self.ctx.rng, self.text, self.ctx
        candidates = np.sort(rng.choice(pool, size=min(len(pool), 10 * count + 50), replace=False))
        if fault.eligible is not None:
            candidates = candidates[fault.eligible(text[candidates], ctx).fill_null(False).to_numpy()]
            if len(candidates) < count:  # a rare kind of row: look at the whole file
                candidates = pool[fault.eligible(text[pool], ctx).fill_null(False).to_numpy()]
        return np.sort(rng.permutation(candidates)[:count])

    def after(self, pick: np.ndarray) -> np.ndarray:
        """A random row at or after each picked row (where a duplicated or inserted line goes)."""
        n = self.text.height
        return pick + np.floor(self.ctx.rng.random(len(pick)) * (n - pick)).astype(np.int64)

    def kept(self, rows: pl.DataFrame, bad: pl.DataFrame) -> np.ndarray:
        """Which mutations to keep: those that changed the row and whose key collides with no other row nor
        with an earlier faulty line; their keys join ``taken``."""
        text, key = self.text, self.key
        changed = ~pl.select(pl.all_horizontal(bad[c].eq_missing(rows[c]) for c in text.columns)).to_series()
        old_keys, new_keys = _keys(rows, key), _keys(bad, key)
        moved = (old_keys != new_keys).fill_null(True)
        if moved.any() and self.file_keys is None:
            self.file_keys = np.sort(_key_hashes(text, key))  # once per file: membership by binary search
        clash = (
            moved & pl.Series(_in_sorted(_key_hashes(bad, key), self.file_keys))
            if self.file_keys is not None
            else moved & False
        )
        seen = [k_ in self.taken for k_ in new_keys.to_list()]
        ok = (changed & ~clash & ~pl.Series(seen)).to_numpy()
        ok &= ~new_keys.is_duplicated().to_numpy() | new_keys.is_first_distinct().to_numpy()
        self.taken.update(new_keys.filter(pl.Series(ok)).to_list())
        return ok


def _lines(rows: pl.DataFrame, position: np.ndarray, fault: FaultClass) -> pl.DataFrame:
    """Faulty lines of ``fault`` at ``position`` (2 * row: in place of the row; 2 * row + 1: after it)."""
    return rows.with_columns(pl.Series(_ROW, position), pl.lit(fault.name).alias(_FAULT))


def _faulty_part(
    file: _File,
    fault: FaultClass,
    pick: np.ndarray,
    fresh_keys: Callable[[int], dict[str, pl.Series]] | None,
) -> tuple[str, pl.DataFrame] | None:
    """The faulty lines ``fault`` makes of the picked rows, as ``("added", lines)`` (after a row, or at a
    random place for new keys) or ``("replaced", lines)``; None when no mutation is kept."""
    rows = file.text[pick]
    if fault.duplicate:
        file.used[pick] = True
        return "added", _lines(rows, 2 * file.after(pick) + 1, fault)
    assert fault.mutate is not None
    if fresh_keys is not None:
        rows = rows.with_columns(**fresh_keys(len(pick)))  # type: ignore[misc]
    bad = fault.mutate(rows, file.ctx)
    ok = file.kept(rows, bad)
    pick, bad = pick[ok], bad.filter(pl.Series(ok))
    k = len(pick)
    if k == 0:
        return None
    if fresh_keys is not None:
        where = np.floor(file.ctx.rng.random(k) * file.text.height).astype(np.int64)
        return "added", _lines(bad, 2 * where + 1, fault)
    file.used[pick] = True
    if fault.insert:
        return "added", _lines(bad, 2 * file.after(pick) + 1, fault)
    return "replaced", _lines(bad, 2 * pick, fault)


def _merge(
    text: pl.DataFrame, contract: Contract, replaced: list[pl.DataFrame], added: list[pl.DataFrame]
) -> Injection:
    """The file's rows: the clean rows in place, a replaced row at its row's place (2 * row), an added row
    after its row (2 * row + 1; several added after one row keep the order they were made in); one gather
    from the file's rows followed by the new ones (no copy of the file before it)."""
    n = text.height
    replaced_rows = (
        np.concatenate([r[_ROW].to_numpy() // 2 for r in replaced]) if replaced else np.array([], int)
    )
    keep = np.ones(n, dtype=bool)
    keep[replaced_rows] = False
    extra = [p.select(contract.column_names) for p in (*replaced, *added)]
    kept = np.flatnonzero(keep)
    position = np.concatenate([2 * kept, *(p[_ROW].cast(pl.Int64).to_numpy() for p in (*replaced, *added))])
    part = np.repeat(np.arange(len(extra) + 1), [len(kept), *(p.height for p in extra)])
    source = np.concatenate([kept, n + np.arange(sum(p.height for p in extra))])
    order = np.lexsort((np.arange(len(position)), part, position))
    names = [name for p in (*replaced, *added) for name in p[_FAULT].to_list()]
    merged = pl.concat([text, *extra], how="vertical")[source[order]]
    faulty = np.flatnonzero(part[order] > 0)
    faults = [
        (int(i) + 2, names[j - len(kept)])
        for i, j in zip(faulty.tolist(), order[faulty].tolist(), strict=True)
    ]
    return Injection(merged, faults)


def inject(
    text: pl.DataFrame,
    contract: Contract,
    school_year: str,
    fault_rate: float,
    rng: np.random.Generator,
    fresh_keys: Callable[[int], dict[str, pl.Series]] | None = None,
    region: RegionYear | None = None,
    rates: dict[str, float] | None = None,
    taken: set[str] | None = None,
    owed: set[str] | None = None,
) -> Injection:
    """Corrupt about ``fault_rate`` of the rows of one file (text form, contract columns).

    ``fresh_keys(n)`` gives ``n`` new identifiers for the referenced columns of a referenced entity
    (``student_code`` of pupils, ``teacher_code`` of teachers). ``rates`` sets the rate of single classes.
    ``taken``: keys of the faulty lines already made in the file (its earlier parts, when a region is
    generated in chunks), updated here; no two faulty lines of a file share a key.
    ``owed``: the classes (rate > 0) that have made no faulty line yet in the entity's earlier files (the
    whole run's); a class of it whose draw gives no row here corrupts one row (the first eligible of a
    random draw, as any other) as long as at least half of the file's rows stay clean, so that every class
    with a positive rate is injected at least once per entity in a run with enough rows, without making
    the rows of a rare entity all faulty (a file of one row is never forced); the classes that made a
    faulty line leave the set.
    """
    classes = applicable(contract)
    if owed:  # the classes not injected yet pick their rows first, the ones with an eligibility rule (rare
        # rows) before the others: a file may have very few rows
        classes = sorted(classes, key=lambda f: (f.name not in owed, f.eligible is None))
    n = text.height
    per_class = class_rates(contract, fault_rate, rates)
    if n == 0 or not classes or not any(per_class.values()):
        return Injection(text)
    # enrollment rows other rows depend on (start events of pupils with absences or exam results) are never
    # replaced: the pupil's absences would fall outside any enrollment, the results lose their region. A
    # replacing class's rate applies to the rows it may replace (so that the other rows, e.g. dropouts, are
    # not made faulty more often than the rate says)
    keep_clean = _absence_anchors(text, contract, region)
    replaceable = n - int(keep_clean.sum())
    counts = [
        int(rng.binomial(n if (f.duplicate or f.insert) else replaceable, per_class[f.name])) for f in classes
    ]
    adds = contract.name in referenced_entities()
    if adds and fresh_keys is None:
        raise ValueError(f"{contract.name} is referenced by other entities: fault injection needs fresh_keys")
    ctx = FaultContext(contract, school_year, rng, region)
    taken = set() if taken is None else taken  # keys of the faulty lines already made
    file = _File(text, ctx, list(contract.primary_key), taken, np.zeros(n, dtype=bool), keep_clean)
    made: dict[str, list[pl.DataFrame]] = {"replaced": [], "added": []}
    for fault, count in zip(classes, counts, strict=True):
        if (
            count == 0
            and owed
            and fault.name in owed
            and per_class[fault.name] > 0
            and 2 * (file.used.sum() + 1) <= n
        ):
            count = 1  # not injected in the entity yet; the file keeps at least half its rows clean
        pool = file.pool(fault)
        if count == 0 or len(pool) == 0:
            continue
        pick = file.pick(fault, count, pool)
        part = _faulty_part(file, fault, pick, fresh_keys if adds else None) if len(pick) else None
        if part is not None:
            made[part[0]].append(part[1])
    replaced, added = made["replaced"], made["added"]
    if owed is not None:
        owed.difference_update(p[_FAULT][0] for p in (*replaced, *added))
    if not replaced and not added:
        return Injection(text)
    return _merge(text, contract, replaced, added)


# The domain generators register their own fault classes when imported (synthetic.domains).
from synthetic import domains as _domains  # noqa: E402, F401
