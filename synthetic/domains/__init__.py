"""Generators of the domain entities, one module per entity, discovered like the contracts.

The core simulation (:mod:`synthetic.simulation`) produces the entities that share the pupil
population (schools, classes, pupils, enrollments, staff, absences, grades, timetables, exams). Every
other entity of a contract (classrooms, social support, orientation...) is produced here, from those
frames: a module of this package defines

- ``ENTITY``: the contract name (``ingestion/contracts/<ENTITY>.py``);
- ``generate(ctx: DomainContext) -> pl.DataFrame``: the typed rows of the region-year, with the contract's
  columns;
- optionally ``AFTER``: domain entities whose frames it reads (generated first);

and may register its own fault classes with :func:`synthetic.faults.register` (``entities=(ENTITY,)``)
or opt into a core class with :func:`synthetic.faults.extend`. Each entity draws from its own random
stream (seeded by seed, year, region and the entity's name), so adding a domain changes no other file's
bytes. See docs/adding-a-domain.md.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import polars as pl


@dataclass(frozen=True)
class DomainContext:
    """What a domain generator gets for one region and school year."""

    school_year: str  # 2024-2025
    year: int  # 2024
    region_code: str
    rng: np.random.Generator  # the entity's own stream
    frames: Mapping[str, pl.DataFrame]  # typed frames already produced for this region-year (chunk)
    # numbers already handed out in the region-year by name (a region generated in chunks: the earlier
    # chunks'); a generator numbering its rows takes its first number with take()
    counters: dict[str, int] = field(default_factory=dict)

    def take(self, name: str, count: int) -> int:
        """The first of ``count`` numbers of the counter ``name`` (unique in the region-year)."""
        first = self.counters.get(name, 0)
        self.counters[name] = first + count
        return first


Generator = Callable[[DomainContext], pl.DataFrame]


def _modules() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.ENTITY] = module
    return found


MODULES: dict[str, ModuleType] = _modules()


def order() -> list[str]:
    """Domain entities sorted so that every entity a generator reads (``AFTER``) comes first."""
    done: list[str] = []
    pending = {name: tuple(getattr(m, "AFTER", ())) for name, m in MODULES.items()}
    while pending:
        ready = sorted(n for n, after in pending.items() if all(a in done for a in after))
        if not ready:
            raise ValueError(f"cyclic AFTER between domain generators: {sorted(pending)}")
        done.extend(ready)
        for n in ready:
            del pending[n]
    return done


def stream_of(entity: str) -> int:
    """The random stream number of an entity (stable, distinct from the core streams 0 and 1)."""
    return 1000 + zlib.crc32(entity.encode()) % 1_000_000


def domain_frames(
    frames: Mapping[str, pl.DataFrame],
    school_year: str,
    year: int,
    region_code: str,
    seed: int,
    *,
    chunk: int = 0,
    counters: dict[str, int] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every domain entity's frame for one region-year, from the core ``frames``; for a region generated
    in chunks, of chunk ``chunk`` (its own streams) with the region-year's ``counters``."""
    out: dict[str, pl.DataFrame] = {}
    counters = {} if counters is None else counters
    for entity in order():
        rng = np.random.default_rng(
            [seed, year, int(region_code), stream_of(entity), *([chunk] if chunk else [])]
        )
        ctx = DomainContext(school_year, year, region_code, rng, {**frames, **out}, counters)
        out[entity] = MODULES[entity].generate(ctx)
    return out


__all__ = ["MODULES", "DomainContext", "Generator", "domain_frames", "order", "stream_of"]
