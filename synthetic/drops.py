"""From a region-year's injected rows to files: bulk file and daily drops, deletions, late corrections,
and the file-level faults (truncated last line, Windows-1256, renamed or reordered header).

Conventions (docs/architecture.md, "Drops, corrections and deletions"): absences and grades dated on a
school day on or after ``daily_from`` go to the daily drop ``<entity>__<yyyy-mm-dd>.csv`` of their date,
everything else to the bulk file ``<entity>.csv``. A late correction repeats a bulk grade's key with
a new mark in a later daily drop; a deletion lists an enrollment's key in
``enrollments__<yyyy-mm-dd>__deleted.csv``.

Every faulty line keeps exactly one fault class: the row faults of :mod:`synthetic.faults` are
carried to the file and line where the row lands; a truncated last line is only made of a clean line;
file-level faults are recorded on line 0 (encoding) or line 1 (header), at most one header fault a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from ingestion.contracts import Contract
from synthetic.faults import PROTECTED_ENTITIES, REGISTRY, RegionYear
from synthetic.writer import BOM, LINE_END, SEPARATOR, render

DAILY_DATE_COLUMN = {"absences": "absence_date", "grades": "assessment_date", "roll_calls": "roll_call_date"}
FILE_CLASSES = ("truncated_last_line", "encoding_cp1256", "renamed_header", "reordered_header")


@dataclass
class FileOut:
    """One file to write: its bytes, data lines and faults (line, class)."""

    relative: str
    entity: str
    data: bytes
    rows: int
    faults: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DropPlan:
    school_year: str
    region_code: str
    daily_days: tuple[date, ...]  # the school days whose rows go to daily drops (sorted)
    rates: dict[str, float]  # rate of the classes applied here (per row, or per file for FILE_CLASSES)


def _split_daily(text: pl.DataFrame, entity: str, plan: DropPlan) -> pl.Series:
    """Per row: the daily drop date (ISO text) or null for the bulk file."""
    if entity not in DAILY_DATE_COLUMN or not plan.daily_days:
        return pl.repeat(None, text.height, dtype=pl.String, eager=True).alias("drop")
    # the export's date text of each daily day -> its ISO date (no date parsing of the whole column)
    iso = {d.strftime("%d/%m/%Y"): d.isoformat() for d in plan.daily_days}
    column = text[DAILY_DATE_COLUMN[entity]]
    return column.replace_strict(iso, default=None, return_dtype=pl.String).alias("drop")


def _late_corrections(
    text: pl.DataFrame, faulty: np.ndarray, drop: pl.Series, plan: DropPlan, rng: np.random.Generator
) -> dict[str, pl.DataFrame]:
    """Corrections of bulk grades (clean, graded) into later daily drops: date -> rows."""
    rate = plan.rates.get("late_correction", 0.0)
    if rate <= 0 or not plan.daily_days:
        return {}
    ok = np.flatnonzero(~faulty & drop.is_null().to_numpy() & text["grade"].is_not_null().to_numpy())
    k = min(int(rng.binomial(text.height, rate)), len(ok))
    if k == 0:
        return {}
    pick = np.sort(rng.choice(ok, size=k, replace=False))
    rows = text[pick]
    old = rows["grade"].str.replace(",", ".").cast(pl.Float64).to_numpy()
    delta = rng.choice([-1, 1], size=k) * rng.uniform(0.5, 4.0, size=k)
    new = np.clip(old + delta, 0.0, 20.0)
    new = np.where(np.abs(new - old) < 0.05, np.where(old > 10, old - 1, old + 1), new)
    tenths = np.round(new * 10).astype(np.int64)
    marks = [f"{t // 10},{t % 10}" for t in tenths.tolist()]
    when = rng.integers(0, len(plan.daily_days), k)
    rows = rows.with_columns(
        pl.Series("grade", marks, dtype=pl.String), pl.lit(None, pl.String).alias("missed_code")
    )
    out: dict[str, pl.DataFrame] = {}
    for i in np.unique(when).tolist():
        out[plan.daily_days[i].isoformat()] = rows.filter(pl.Series(when == i))
    return out


def _deletions(
    text: pl.DataFrame,
    faulty: np.ndarray,
    contract: Contract,
    plan: DropPlan,
    rng: np.random.Generator,
    region: RegionYear | None,
) -> tuple[str, pl.DataFrame] | None:
    """Deleted enrollments: clean rows whose key goes to ``enrollments__<last daily day>__deleted.csv``.

    Only the single enrollment row of a pupil without absences or exam results is deleted, so that no
    other row depends on it (no absence falls outside an enrollment because of the deletion)."""
    rate = plan.rates.get("deleted_enrollment", 0.0)
    if rate <= 0 or not plan.daily_days:
        return None
    codes = text["student_code"]
    alone = codes.is_unique()
    if region is not None:
        alone &= ~codes.is_in(region.dependent_pupils.implode())
    ok = np.flatnonzero(~faulty & alone.to_numpy())
    k = min(int(rng.binomial(text.height, rate)), len(ok))
    if k == 0:
        return None
    pick = np.sort(rng.choice(ok, size=k, replace=False))
    columns = ["school_year", "region_code", *[c for c in contract.primary_key if c != "school_year"]]
    return plan.daily_days[-1].isoformat(), text[pick].select(columns)


@dataclass
class ExportFile:
    """One export file of a region-year, written in parts (one a chunk of the region, see
    ``synthetic.chunks``): the file-level faults drawn when it was opened, applied to every part,
    and the data lines written so far."""

    relative: str
    entity: str
    plain: bool = False  # no file-level fault (protected entities, deletion lists)
    rename: dict[str, str] = field(default_factory=dict)  # renamed header
    order: list[str] | None = None  # reordered header (column names after renaming)
    cp1256: bool = False
    tail: str | None = None  # the truncated last line, written when the file is closed
    rows: int = 0  # data lines written


def _open(
    part: pl.DataFrame, contract: Contract, file: ExportFile, plan: DropPlan, rng: np.random.Generator
) -> tuple[bytes, list[tuple[int, str]]]:
    """The first part of ``file``: the file-level faults drawn for it, and its bytes (BOM, header, rows)."""
    faults: list[tuple[int, str]] = []
    if file.plain:
        return render(part), faults
    text = part
    header_fault = None
    draws = {name: rng.random() < plan.rates.get(name, 0.0) for name in FILE_CLASSES}
    if draws["renamed_header"]:
        aliased = [c for c in contract.columns if c.aliases]
        if aliased:
            col = aliased[int(rng.integers(len(aliased)))]
            alias = col.aliases[int(rng.integers(len(col.aliases)))]
            file.rename = {col.name: alias}
            text = text.rename(file.rename)
            header_fault = "renamed_header"
    if draws["reordered_header"] and header_fault is None and text.width > 1:
        order = list(rng.permutation(text.width))
        if order == sorted(order):
            order = order[1:] + order[:1]
        file.order = [text.columns[i] for i in order]
        text = text.select(file.order)
        header_fault = "reordered_header"
    if header_fault:
        faults.append((1, header_fault))
    data = render(text)
    if draws["truncated_last_line"] and text.height:
        # an export cut short: a copy of one of the file's rows, cut before its last field, ends the file
        # without a line end (the rows before it are all there, so nothing refers to a lost row); it is
        # written when the file is closed (after the region's last chunk)
        line = render(text[int(rng.integers(text.height))])[len(BOM) :].decode("utf-8").split(LINE_END)[1]
        cut = line.rfind(SEPARATOR)
        if cut > 0:
            file.tail = line[: max(1, cut - int(rng.integers(0, max(1, cut // 2))))]
    if draws["encoding_cp1256"]:
        try:
            data = data[len(BOM) :].decode("utf-8").encode("cp1256")
            file.cp1256 = True
            faults.append((0, "encoding_cp1256"))
        except UnicodeEncodeError:
            pass
    return data, faults


def _append(part: pl.DataFrame, file: ExportFile) -> bytes:
    """A later part of ``file``: its rows only, with the file's header faults and encoding. The first part
    decided the encoding; a character of a later part that Windows-1256 lacks becomes ``?``, as Windows
    saves it in that code page (in practice none: the only such character generated, the É of school
    names, is in the schools files, which get no file-level fault)."""
    text = part.rename(file.rename) if file.rename else part
    if file.order is not None:
        text = text.select(file.order)
    data = render(text, header=False)
    return data.decode("utf-8").encode("cp1256", errors="replace") if file.cp1256 else data


def _part(
    part: pl.DataFrame,
    part_faults: list[tuple[int, str]],
    contract: Contract,
    relative: str,
    plan: DropPlan,
    rng: np.random.Generator,
    files: dict[str, ExportFile],
    plain: bool = False,
) -> FileOut:
    """The bytes to add to the file ``relative`` for ``part`` (lines numbered from 2 in ``part_faults``),
    opening the file when this is its first part; the faults' lines are the file's."""
    file = files.get(relative)
    if file is None:
        file = files[relative] = ExportFile(
            relative, contract.name, plain or contract.name in PROTECTED_ENTITIES
        )
        data, file_faults = _open(part, contract, file, plan, rng)
    else:
        data, file_faults = _append(part, file), []
    out = FileOut(
        relative, contract.name, data, part.height, [(file.rows + line, name) for line, name in part_faults]
    )
    out.faults += file_faults
    file.rows += part.height
    return out


def close(file: ExportFile) -> FileOut:
    """What ends ``file`` after its last part: its truncated last line, if it has one."""
    if file.tail is None:
        return FileOut(file.relative, file.entity, b"", 0)
    data = file.tail.encode("cp1256", errors="replace") if file.cp1256 else file.tail.encode("utf-8")
    return FileOut(file.relative, file.entity, data, 1, [(file.rows + 2, "truncated_last_line")])


def files_of(
    text: pl.DataFrame,
    faults: list[tuple[int, str]],
    contract: Contract,
    plan: DropPlan,
    rng: np.random.Generator,
    files: dict[str, ExportFile],
    region: RegionYear | None = None,
) -> list[FileOut]:
    """The parts of the files of one entity of a region-year (or of a chunk of the region): bulk file,
    daily drops, deletions. ``files`` holds the region-year's files already opened (by earlier chunks);
    a file is finished by :func:`close` after the region's last chunk."""
    entity = contract.name
    base = f"{plan.school_year}/{plan.region_code}/{entity}"
    fault_of = np.full(text.height, None, dtype=object)
    for line, name in faults:
        fault_of[line - 2] = name
    faulty = fault_of != None  # noqa: E711 - element-wise
    drop = _split_daily(text, entity, plan)
    groups: dict[str | None, np.ndarray] = {}
    drop_values = drop.to_numpy()
    for key in [None, *sorted(drop.drop_nulls().unique().to_list())]:
        mask = drop.is_null().to_numpy() if key is None else (drop_values == key)
        groups[key] = np.flatnonzero(mask)
    corrections = _late_corrections(text, faulty, drop, plan, rng) if entity == "grades" else {}
    deletion = _deletions(text, faulty, contract, plan, rng, region) if entity == "enrollments" else None
    for key in corrections:
        groups.setdefault(key, np.zeros(0, dtype=np.int64))
    out: list[FileOut] = []
    for key in [None, *sorted(k for k in groups if k is not None)]:
        index = groups[key]
        part = text if len(index) == text.height else text[index]
        at = np.flatnonzero(faulty[index])
        part_faults = [(int(i) + 2, fault_of[index[i]]) for i in at]
        if key in corrections:
            extra = corrections[key]
            part_faults += [(part.height + 2 + i, "late_correction") for i in range(extra.height)]
            part = pl.concat([part, extra], how="vertical")
        relative = f"{base}.csv" if key is None else f"{base}__{key}.csv"
        out.append(_part(part, part_faults, contract, relative, plan, rng, files))
    if deletion is not None:
        key, rows = deletion
        relative = f"{base}__{key}__deleted.csv"
        marks = [(i + 2, "deleted_enrollment") for i in range(rows.height)]
        out.append(_part(rows, marks, contract, relative, plan, rng, files, plain=True))
    return out


def check_registry() -> None:
    """The classes applied here are declared in the registry."""
    for name in (*FILE_CLASSES, "late_correction", "deleted_enrollment"):
        if name not in REGISTRY or REGISTRY[name].engine:
            raise ValueError(f"{name} must be declared with faults.declare")
