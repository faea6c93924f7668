"""Chunks of a region: the parts of a region simulated one after the other, so that the memory a
region-year needs does not grow with the number of pupils.

A region whose pupils fit in ``max_pupils`` is one chunk: the region itself (the simulation is then the
one of the whole region). A larger region is cut along its provinces: a province with more than
``max_pupils`` expected pupils is split into ``ceil(pupils / max_pupils)`` equal *catchments* (a share of
its population, with schools of its own), and provinces and catchments are packed in province order into
chunks of at most ``max_pupils`` pupils (neighbouring provinces stay together; two catchments of one
province never share a chunk). A chunk is a :class:`~synthetic.reference.Region` with the same
code and a subset of the provinces (population scaled for a catchment), so the simulation runs on it
unchanged: its pupils, schools, classes, teachers and transfers stay within the chunk (a catchment area),
while codes come from counters shared by the region's chunks (see ``simulation.RegionCounters``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from synthetic.reference import Province, Region, allocate

# Pupils per chunk: a region-year's peak memory is about 30 KB a pupil (5.9 GB for the 199,000 pupils of
# region 06 at 1 M pupils, grades step), so 150,000 pupils keep a chunk under about 5 GB.
CHUNK_PUPILS = 150_000


@dataclass(frozen=True)
class Chunk:
    index: int  # 0, 1, ... within the region
    region: Region  # the region's code, the chunk's provinces
    pupils: int  # first year's pupils


def plan_chunks(region: Region, pupils: int, max_pupils: int = CHUNK_PUPILS) -> list[Chunk]:
    """The chunks of ``region`` for ``pupils`` pupils (first year), each at most ``max_pupils``."""
    if max_pupils < 1:
        raise ValueError("max_pupils must be >= 1")
    if pupils <= max_pupils:
        return [Chunk(0, region, pupils)]
    total = sum(p.population for p in region.provinces)
    parts: list[tuple[Province, float]] = []  # (province or catchment, expected pupils)
    for province in region.provinces:
        expected = pupils * province.population / total
        n = max(1, math.ceil(expected / max_pupils))
        share = replace(province, population=max(1, round(province.population / n))) if n > 1 else province
        parts += [(share, expected / n)] * n
    groups: list[list[tuple[Province, float]]] = [[]]
    for part in parts:
        size = sum(e for _, e in groups[-1])
        if groups[-1] and (size + part[1] > max_pupils or any(p.code == part[0].code for p, _ in groups[-1])):
            groups.append([])
        groups[-1].append(part)
    weights = [sum(p.population for p, _ in g) for g in groups]
    counts = allocate(pupils, weights).tolist()
    return [
        Chunk(i, replace(region, provinces=tuple(p for p, _ in g)), n)
        for i, (g, n) in enumerate(zip(groups, counts, strict=True))
    ]
