"""Entry point of the synthetic source: ``generate(out_dir, pupils, ...)``.

Writes, for each school year and region, one CSV per contract entity in the Massar export format
(see :mod:`synthetic.writer`), plus ``<school_year>/manifest.json`` and
``<school_year>/faults.csv`` (the ground truth of the injected faults). Regions are generated one
after the other (all years of a region, then the next region), and a region larger than ``chunk_pupils``
in chunks (:mod:`synthetic.chunks`): each year, the chunks are simulated one after the other and
append their rows to the region's files, so memory holds one chunk's year at a time (plus the chunks'
pupils carried to the next year), whatever the number of pupils.
Existing files with the same names are overwritten; other files under ``out_dir`` are left alone.

    python -m synthetic.generate OUT_DIR --pupils 10000 [--seed 42] [--years 1] ...
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from tqdm import tqdm

from ingestion.contracts import CONTRACTS, Contract
from synthetic import codes
from synthetic import parameters as P
from synthetic.calendar import first_day, holidays, last_day, school_days, school_year_label
from synthetic.chunks import CHUNK_PUPILS, plan_chunks
from synthetic.domains import domain_frames
from synthetic.domains.fee_transfers import hold_back
from synthetic.drops import (
    FILE_CLASSES,
    DropPlan,
    ExportFile,
    FileOut,
    check_registry,
    close,
    files_of,
)
from synthetic.faults import (
    REGISTRY,
    Injection,
    RegionYear,
    applicable,
    class_rates,
    inject,
    key_columns_referenced,
)
from synthetic.population import regional_private_shares
from synthetic.reference import Region, allocate, regions
from synthetic.simulation import FAULT_STREAM, RegionCounters, RegionSimulation, YearOutput, year_rng
from synthetic.writer import (
    BOM,
    LINE_END,
    SEPARATOR,
    FileSink,
    WrittenFile,
    format_frame,
    render,
    write_faults,
    write_manifest,
)

# Daily drops: the architecture's default is the last DAILY_DAYS school days of a year; `massar generate`
# and the end-to-end test use it. generate()'s own default stays 0 (bulk files only) for small unit tests.
DAILY_DAYS = 5
# Classes injected only when fault_rates names them (none at present: the quality gate's pupil count
# applies deletions, as dbt does).
OFF_BY_DEFAULT: tuple[str, ...] = ()


SECRETS_FILE = "parent_secrets.csv"


@dataclass
class GenerationSummary:
    out_dir: Path
    school_years: list[str]
    files: int
    rows: dict[str, int]  # data lines written per entity (faulty lines included), all years and regions
    faults: int
    faults_by_class: dict[str, int] = field(default_factory=dict)
    pupils_by_year: dict[str, int] = field(default_factory=dict)  # distinct clean pupils per school year
    seed: int = 42
    seconds: float = 0.0
    seconds_by_step: dict[str, float] = field(default_factory=dict)  # "simulation" and each entity's files
    rss_by_step: dict[str, int] = field(default_factory=dict)  # highest resident set (bytes) after a step
    chunks: dict[str, int] = field(default_factory=dict)  # chunks per region


def _rss() -> int:
    """Current resident set size in bytes (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def pupils_by_region(pupils: int) -> dict[str, int]:
    """Pupils per region, in proportion to the regional estimates (est_total_3_cycles)."""
    codes_ = [r.code for r in regions()]
    weights = [sum(P.REGION_PUPIL_ESTIMATES[c]) for c in codes_]
    return dict(zip(codes_, allocate(pupils, weights).tolist(), strict=True))


def _start_secrets(out_dir: Path, label: str) -> Path:
    """``exports/<school_year>/parent_secrets.csv`` (student_code;secret): the restricted delivery of the
    secrets, read by the lookup-store builder only, never ingested."""
    target = out_dir / label / SECRETS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(BOM + f"student_code{SEPARATOR}secret{LINE_END}".encode())
    return target


class _FreshKeys:
    """New identifiers for rows invented by fault injection, unique in the region across years."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self.used = {"pupils": 0, "teachers": 0}

    def for_entity(self, entity: str) -> Callable[[int], dict[str, pl.Series]] | None:
        if entity not in self.used:
            return None
        columns = key_columns_referenced(entity)

        def fresh(n: int) -> dict[str, pl.Series]:
            start = self.used[entity]
            self.used[entity] += n
            if entity == "pupils":
                series = codes.student_codes(self.region.code, codes.fake_student_numbers(start, n))
            else:
                series = codes.teacher_codes(self.region.code, codes.fake_teacher_numbers(start, n))
            return {c: series.alias(c) for c in columns}

        return fresh


def _windows(enrollments: pl.DataFrame) -> pl.DataFrame:
    """Per pupil and school, from enrollment rows in text form: start, end (exclusive, or null), moved."""
    dated = enrollments.with_columns(pl.col("event_date").str.to_date("%d/%m/%Y", strict=False))
    arrive = pl.col("event_type").is_in(["entry", "re_enrollment", "transfer_in"])
    leave = pl.col("event_type").is_in(["transfer_out", "dropout"])
    moved = dated.filter(pl.col("event_type").is_in(["transfer_in", "transfer_out"]))["student_code"].unique()
    return (
        dated.group_by("student_code", "school_code")
        .agg(
            pl.col("event_date").filter(arrive).min().alias("start"),
            pl.col("event_date").filter(leave).min().alias("end"),
        )
        .with_columns(pl.col("student_code").is_in(moved.implode()).alias("moved"))
    )


def _region_year(frames: dict[str, pl.DataFrame], label: str, enrollments: pl.DataFrame) -> RegionYear:
    """What the fault classes need: calendar, classes, enrollment windows (from ``enrollments``, text)."""
    days = school_days(label)
    start, end = first_day(label), last_day(label)
    off = tuple(sorted(d for d in holidays(label) if start <= d <= end and d.weekday() != 6))
    return RegionYear(
        first_day=start,
        last_day=end,
        school_days=frozenset(days),
        holidays=off,
        classes=frames["classes"].select("class_code", "school_code", "level_code"),
        windows=_windows(enrollments),
        dependent_pupils=pl.concat(
            [frames["absences"]["student_code"], frames["exam_results"]["student_code"]]
        ).unique(),
    )


def _daily_days(label: str, daily_days: int, daily_from: date | None) -> tuple[date, ...]:
    days = school_days(label)
    if daily_from is not None:
        return tuple(d for d in days if d >= daily_from)
    return tuple(days[-daily_days:]) if daily_days > 0 else ()


def _drop_rates(contract: Contract, fault_rate: float, file_fault_rate: float,
                fault_rates: dict[str, float] | None) -> dict[str, float]:  # fmt: skip
    """Rates of the classes applied by synthetic.drops for this entity."""
    rates = dict.fromkeys(FILE_CLASSES, file_fault_rate)
    n = max(1, len(applicable(contract)))
    if contract.name == "grades":
        rates["late_correction"] = fault_rate / n
    if contract.name == "enrollments":
        rates["deleted_enrollment"] = 0.0 if "deleted_enrollment" in OFF_BY_DEFAULT else fault_rate / n
    rates.update({k: v for k, v in (fault_rates or {}).items() if k in rates})
    return rates


def _check_arguments(
    pupils: int, years: int, fault_rate: float, file_fault_rate: float, fault_rates: dict[str, float] | None
) -> None:
    """Raise ``ValueError`` on a negative size, a rate outside [0, 1] or an unknown fault class."""
    if pupils < 0 or years < 1:
        raise ValueError("pupils must be >= 0 and years >= 1")
    if not 0 <= fault_rate <= 1 or not 0 <= file_fault_rate <= 1:
        raise ValueError("fault rates must be between 0 and 1")
    unknown = set(fault_rates or {}) - set(REGISTRY)
    if unknown:
        raise ValueError(f"unknown fault classes: {sorted(unknown)}")


@dataclass
class _RegionYearFiles:
    """What the chunks of one region-year share: its files (opened by the first chunk to write), their
    sinks, the keys of the faulty lines made per entity, and the random stream of its faults."""

    region: Region
    label: str
    year: int
    days: tuple[date, ...]
    fault_rng: np.random.Generator
    fresh: _FreshKeys
    files: dict[str, ExportFile] = field(default_factory=dict)
    sinks: dict[str, FileSink] = field(default_factory=dict)
    taken: dict[str, set[str]] = field(default_factory=dict)
    domain_counters: dict[str, int] = field(default_factory=dict)


class _Run:
    """One generation's state: files written and faulty lines per school year, rows per entity, pupils per
    year, time and memory per step, and the writer thread (files are written and hashed on it while the next
    entity is prepared)."""

    def __init__(
        self,
        out_dir: Path,
        labels: list[str],
        seed: int,
        fault_rate: float,
        fault_rates: dict[str, float] | None,
        file_fault_rate: float,
    ) -> None:
        self.out_dir, self.seed = out_dir, seed
        self.fault_rate, self.fault_rates, self.file_fault_rate = fault_rate, fault_rates, file_fault_rate
        self.written: dict[str, list[WrittenFile]] = {label: [] for label in labels}
        self.fault_rows: dict[str, list[tuple[str, int, str, str]]] = {label: [] for label in labels}
        self.rows: dict[str, int] = dict.fromkeys(sorted(CONTRACTS), 0)
        self.pupil_counts = dict.fromkeys(labels, 0)
        self.step_seconds: dict[str, float] = {}
        self.step_rss: dict[str, int] = {}
        self.clock = time.perf_counter()
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="export-writer")
        self.pending: list[Future[None]] = []
        # per entity: the fault classes with a positive rate not injected yet in the run (see faults.inject)
        self.owed: dict[str, set[str]] = {
            name: {c for c, rate in class_rates(contract, fault_rate, fault_rates).items() if rate > 0}
            for name, contract in CONTRACTS.items()
        }

    def lap(self, step: str) -> None:
        """Add the time since the last lap to ``step``, and the resident set now to its highest."""
        now = time.perf_counter()
        self.step_seconds[step] = self.step_seconds.get(step, 0.0) + now - self.clock
        self.step_rss[step] = max(self.step_rss.get(step, 0), _rss())
        self.clock = now

    def wait_files(self) -> None:
        for done in self.pending:
            done.result()
        self.pending.clear()

    def emit(self, out: FileOut, ry: _RegionYearFiles) -> None:
        sink = ry.sinks.get(out.relative)
        if sink is None:
            sink = ry.sinks[out.relative] = FileSink(self.out_dir, out.relative)
        if out.data:
            self.pending.append(self.writer.submit(sink.write, out.data))
        self.rows[out.entity] += out.rows
        self.fault_rows[ry.label].extend((out.relative, line, out.entity, name) for line, name in out.faults)

    def record(self, label: str, region_code: str, file: ExportFile, sink: FileSink) -> None:
        lines = file.rows + (file.tail is not None)
        self.written[label].append(WrittenFile(file.relative, file.entity, region_code, lines, sink.sha256()))

    def region_year(
        self, ry: _RegionYearFiles, sims: list[RegionSimulation], secrets: Path, bar: tqdm
    ) -> None:
        """The chunks of one region-year one after the other, then its files closed and recorded."""
        for chunk, sim in enumerate(sims):
            bar.set_postfix_str(f"{ry.label} region {ry.region.code} chunk {chunk + 1}/{len(sims)}")
            self.chunk(ry, sim, chunk, secrets)
            bar.update(1)
        for relative in sorted(ry.files):
            file = ry.files[relative]
            self.emit(close(file), ry)
            # the manifest's entry once the writer thread has written (and hashed) the file's last part
            self.pending.append(
                self.writer.submit(self.record, ry.label, ry.region.code, file, ry.sinks[relative])
            )

    def chunk(self, ry: _RegionYearFiles, sim: RegionSimulation, chunk: int, secrets: Path) -> None:
        """One chunk's year simulated, then its rows made faulty and appended to the region-year's files."""
        self.clock = time.perf_counter()
        output = sim.year(ry.year)
        output.frames.update(
            domain_frames(
                output.frames,
                ry.label,
                ry.year,
                ry.region.code,
                self.seed,
                chunk=chunk,
                counters=ry.domain_counters,
            )
        )
        self.pupil_counts[ry.label] += output.frames["pupils"].height
        with secrets.open("ab") as f:
            f.write(render(output.secrets)[len(BOM) :].split(LINE_END.encode(), 1)[1])
        self.lap("simulation")
        missing = set(CONTRACTS) - set(output.frames)
        if missing:
            raise NotImplementedError(f"the synthetic source does not generate {sorted(missing)} yet")
        texts = {e: format_frame(output.frames[e], CONTRACTS[e]) for e in ("enrollments", "classes")}
        context = _region_year(output.frames, ry.label, texts["enrollments"])
        # enrollments first: the absences' faults need the enrollment windows that stay valid
        for entity in ["enrollments", *sorted(set(CONTRACTS) - {"enrollments"})]:
            context = self.entity(ry, entity, output, texts, context)

    def entity(
        self,
        ry: _RegionYearFiles,
        entity: str,
        output: YearOutput,
        texts: dict[str, pl.DataFrame],
        context: RegionYear,
    ) -> RegionYear:
        """One entity of a chunk's year: made faulty, cut into its files, handed to the writer; returns the
        region-year context (the enrollment windows updated once the enrollments are made faulty)."""
        contract = CONTRACTS[entity]
        if entity == "pupils":
            output.pupils()  # waits for the parent-secret hashes (computed while the rest ran)
        frame = output.frames.pop(entity)
        text = texts.pop(entity) if entity in texts else format_frame(frame, contract)
        del frame
        injected = inject(
            text,
            contract,
            ry.label,
            self.fault_rate,
            ry.fault_rng,
            ry.fresh.for_entity(entity),
            region=context,
            rates=self.fault_rates,
            taken=ry.taken.setdefault(entity, set()),
            owed=self.owed[entity],
        )
        rates = _drop_rates(contract, self.fault_rate, self.file_fault_rate, self.fault_rates)
        plan = DropPlan(ry.label, ry.region.code, ry.days, rates)
        if entity == "fee_payments":  # receipts with a fault are not transferred
            output.frames["fee_transfers"] = hold_back(
                output.frames["fee_transfers"], _valid(injected), ry.year
            )
        if entity == "enrollments":
            context = replace(context, windows=_windows(_valid(injected)))
        parts = files_of(injected.text, injected.faults, contract, plan, ry.fault_rng, ry.files, context)
        del injected, text
        self.lap(entity)
        # the previous entity's files are written first: at most two entities' bytes are held
        self.wait_files()
        self.lap("writing (wait)")
        for out in parts:
            self.emit(out, ry)
        return context

    def finish(self, labels: list[str], pupils: int) -> dict[str, int]:
        """Wait for the writer, write each year's manifest and faults; returns the faulty lines per class."""
        self.wait_files()
        self.writer.shutdown()
        by_class: dict[str, int] = {}
        for label in labels:
            write_manifest(self.out_dir, label, self.seed, pupils, self.written[label])
            write_faults(self.out_dir, label, self.fault_rows[label])
            for *_, name in self.fault_rows[label]:
                by_class[name] = by_class.get(name, 0) + 1
        return by_class


def _valid(injected: Injection) -> pl.DataFrame:
    """The rows of an injected file that are not faulty."""
    faulty = [line - 2 for line, _ in injected.faults]
    return injected.text.with_row_index("_i").filter(~pl.col("_i").is_in(faulty)).drop("_i")


def generate(
    out_dir: Path,
    pupils: int,
    seed: int = 42,
    years: int = 1,
    first_year: int = 2024,
    fault_rate: float = 0.01,
    progress: bool = False,
    *,
    fault_rates: dict[str, float] | None = None,
    file_fault_rate: float = 0.0,
    daily_days: int = 0,
    daily_from: date | None = None,
    chunk_pupils: int = CHUNK_PUPILS,
) -> GenerationSummary:
    """Generate ``years`` school years of exports into ``out_dir``; ``pupils`` is the first year's total.

    ``fault_rate`` is the share of rows made faulty, spread evenly over the row fault classes that apply
    to a file; ``fault_rates`` sets single classes (a share of rows; for the file-level classes a
    probability per file); ``file_fault_rate`` is the default probability per file of each file-level
    class. Absences and grades of the last ``daily_days`` school days of a year (or from ``daily_from``)
    go to daily drops (``daily_days=DAILY_DAYS`` for the architecture's layout; late corrections need them).
    A region with more than ``chunk_pupils`` pupils is generated in chunks of at most that many.
    """
    _check_arguments(pupils, years, fault_rate, file_fault_rate, fault_rates)
    check_registry()
    started = time.perf_counter()
    out_dir = Path(out_dir)
    labels = [school_year_label(first_year + i) for i in range(years)]
    allocation = pupils_by_region(pupils)
    plans = {r.code: plan_chunks(r, allocation[r.code], chunk_pupils) for r in regions()}
    private_shares = regional_private_shares(allocation)
    bar = tqdm(
        total=sum(len(c) for c in plans.values()) * years,
        desc="synthetic exports",
        unit="chunk-year",
        disable=not progress,
    )
    secrets_files = {label: _start_secrets(out_dir, label) for label in labels}
    run = _Run(out_dir, labels, seed, fault_rate, fault_rates, file_fault_rate)
    for region in regions():
        counters = RegionCounters(region)
        sims = [
            RegionSimulation(
                c.region,
                c.pupils,
                seed,
                chunk=c.index,
                counters=counters,
                private_share=private_shares[region.code],
            )
            for c in plans[region.code]
        ]
        fresh = _FreshKeys(region)
        for offset, label in enumerate(labels):
            year = first_year + offset
            fault_rng = year_rng(seed, year, region.code, FAULT_STREAM)
            days = _daily_days(label, daily_days, daily_from)
            ry = _RegionYearFiles(region, label, year, days, fault_rng, fresh)
            run.region_year(ry, sims, secrets_files[label], bar)
    by_class = run.finish(labels, pupils)
    bar.close()
    return GenerationSummary(
        out_dir=out_dir,
        school_years=labels,
        files=sum(len(v) for v in run.written.values()),
        rows=run.rows,
        faults=sum(by_class.values()),
        faults_by_class=dict(sorted(by_class.items())),
        pupils_by_year=run.pupil_counts,
        seed=seed,
        seconds=time.perf_counter() - started,
        seconds_by_step=run.step_seconds,
        rss_by_step=run.step_rss,
        chunks={code: len(c) for code, c in plans.items()},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate synthetic Massar exports.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--pupils", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--first-year", type=int, default=2024)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    parser.add_argument("--file-fault-rate", type=float, default=0.0, help="per file, each file-level class")
    parser.add_argument("--daily-days", type=int, default=DAILY_DAYS, help="last school days in daily drops")
    parser.add_argument("--chunk-pupils", type=int, default=CHUNK_PUPILS, help="largest chunk of a region")
    args = parser.parse_args(argv)
    summary = generate(
        args.out_dir,
        args.pupils,
        args.seed,
        args.years,
        args.first_year,
        args.fault_rate,
        progress=True,
        file_fault_rate=args.file_fault_rate,
        daily_days=args.daily_days,
        chunk_pupils=args.chunk_pupils,
    )
    print(
        f"{summary.files} files, {sum(summary.rows.values())} rows, {summary.faults} faults "
        f"in {summary.seconds:.1f} s -> {summary.out_dir}"
    )
    for entity, n in summary.rows.items():
        print(f"  {entity:22s} {n:>12,d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
