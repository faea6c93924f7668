"""Entry point of the synthetic source: ``generate(out_dir, pupils, ...)``.

Writes, for each school year and region, one CSV per contract entity in the Massar export format
(see :mod:`massar.synthetic.writer`), plus ``<school_year>/manifest.json`` and
``<school_year>/faults.csv`` (the ground truth of the injected faults). Regions are generated one
after the other (all years of a region, then the next region), so memory holds one region at a time.
Existing files with the same names are overwritten; other files under ``out_dir`` are left alone.

    python -m massar.synthetic.generate OUT_DIR --pupils 10000 [--seed 42] [--years 1] ...
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from tqdm import tqdm

from ingestion.contracts import CONTRACTS
from massar.synthetic import codes
from massar.synthetic import parameters as P
from massar.synthetic.calendar import school_year_label
from massar.synthetic.faults import inject, key_columns_referenced
from massar.synthetic.reference import Region, allocate, regions
from massar.synthetic.simulation import FAULT_STREAM, RegionSimulation, year_rng
from massar.synthetic.writer import (
    WrittenFile,
    format_frame,
    render,
    write_faults,
    write_file,
    write_manifest,
)


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


def pupils_by_region(pupils: int) -> dict[str, int]:
    """Pupils per region, in proportion to the regional estimates (est_total_3_cycles)."""
    codes_ = [r.code for r in regions()]
    weights = [sum(P.REGION_PUPIL_ESTIMATES[c]) for c in codes_]
    return dict(zip(codes_, allocate(pupils, weights).tolist(), strict=True))


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


def generate(
    out_dir: Path,
    pupils: int,
    seed: int = 42,
    years: int = 1,
    first_year: int = 2024,
    fault_rate: float = 0.01,
    progress: bool = False,
) -> GenerationSummary:
    """Generate ``years`` school years of exports into ``out_dir``; ``pupils`` is the first year's total."""
    if pupils < 0 or years < 1:
        raise ValueError("pupils must be >= 0 and years >= 1")
    if not 0 <= fault_rate <= 1:
        raise ValueError("fault_rate must be between 0 and 1")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    labels = [school_year_label(first_year + i) for i in range(years)]
    written: dict[str, list[WrittenFile]] = {label: [] for label in labels}
    fault_rows: dict[str, list[tuple[str, int, str, str]]] = {label: [] for label in labels}
    rows: dict[str, int] = dict.fromkeys(sorted(CONTRACTS), 0)
    pupil_counts = dict.fromkeys(labels, 0)
    allocation = pupils_by_region(pupils)
    bar = tqdm(
        total=len(allocation) * years, desc="synthetic exports", unit="region-year", disable=not progress
    )
    for region in regions():
        sim = RegionSimulation(region, allocation[region.code], seed)
        fresh = _FreshKeys(region)
        for offset, label in enumerate(labels):
            year = first_year + offset
            bar.set_postfix_str(f"{label} region {region.code}")
            output = sim.year(year)
            fault_rng = year_rng(seed, year, region.code, FAULT_STREAM)
            pupil_counts[label] += output.frames["pupils"].height
            for entity in sorted(CONTRACTS):
                contract = CONTRACTS[entity]
                if entity not in output.frames:
                    raise NotImplementedError(
                        f"the synthetic source does not generate the {entity!r} entity yet"
                    )
                text = format_frame(output.frames.pop(entity), contract)
                injected = inject(text, contract, label, fault_rate, fault_rng, fresh.for_entity(entity))
                relative = f"{label}/{region.code}/{entity}.csv"
                digest = write_file(out_dir, relative, render(injected.text))
                written[label].append(
                    WrittenFile(relative, entity, region.code, injected.text.height, digest)
                )
                rows[entity] += injected.text.height
                fault_rows[label].extend((relative, line, entity, name) for line, name in injected.faults)
            bar.update(1)
    bar.close()
    by_class: dict[str, int] = {}
    for label in labels:
        write_manifest(out_dir, label, seed, pupils, written[label])
        write_faults(out_dir, label, fault_rows[label])
        for *_, name in fault_rows[label]:
            by_class[name] = by_class.get(name, 0) + 1
    return GenerationSummary(
        out_dir=out_dir,
        school_years=labels,
        files=sum(len(v) for v in written.values()),
        rows=rows,
        faults=sum(by_class.values()),
        faults_by_class=dict(sorted(by_class.items())),
        pupils_by_year=pupil_counts,
        seed=seed,
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate synthetic Massar exports.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--pupils", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--first-year", type=int, default=2024)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    args = parser.parse_args(argv)
    summary = generate(
        args.out_dir, args.pupils, args.seed, args.years, args.first_year, args.fault_rate, progress=True
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
