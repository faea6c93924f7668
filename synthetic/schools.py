"""Schools of a region (persistent across years) and the classes formed in them each year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic import codes, names
from synthetic import parameters as P
from synthetic.reference import Region, cycles, levels, streams

SECTORS = ("public", "private")
AREAS = ("urban", "rural")


class SchoolCodes:
    """School codes of a region: per province, its 5 digits + a letter for its first 26 schools, then
    blocks of the region's spare codes. Shared by the chunks of a region (``synthetic.chunks``)."""

    def __init__(self, region: Region) -> None:
        self.region_code = region.code
        self._spare = codes.spare_blocks(region.code, [p.digits for p in region.provinces])
        self._blocks: dict[str, list[str]] = {p.digits: [p.digits] for p in region.provinces}
        self._count = dict.fromkeys(self._blocks, 0)

    def next(self, province_digits: str) -> str:
        k = self._count[province_digits]
        self._count[province_digits] += 1
        block = k // 26
        blocks = self._blocks[province_digits]
        while block >= len(blocks):
            if not self._spare:
                raise ValueError(f"region {self.region_code}: no school codes left")
            blocks.append(self.region_code + self._spare.pop(0))
        return blocks[block] + codes.school_letter(k)


class SchoolRegistry:
    """The schools of one region (or chunk of a region). A school keeps its index, code and attributes for
    ever. ``school_codes``: the region's code allocator when the region is simulated in chunks."""

    def __init__(self, region: Region, school_codes: SchoolCodes | None = None) -> None:
        self.region = region
        self._codes = school_codes or SchoolCodes(region)
        self.code: list[str] = []
        self.province: list[int] = []
        self.cycle: list[int] = []
        self.private: list[bool] = []
        self.rural: list[bool] = []
        self.name_fr: list[str] = []
        self.name_ar: list[str] = []
        self.effect: list[float] = []
        self.weight: list[float] = []
        self.recording_gap: list[float] = []

    def __len__(self) -> int:
        return len(self.code)

    def _next_code(self, province: int) -> str:
        return self._codes.next(self.region.provinces[province].digits)

    def create(
        self, rng: np.random.Generator, province: int, cycle: int, private: bool, rural: bool, count: int
    ) -> list[int]:
        """Open ``count`` schools in a cell; returns their indices."""
        cycle_code = cycles()[cycle]
        sector = SECTORS[int(private)]
        pattern = names.SCHOOL_NAME_PATTERNS[(cycle_code, sector)]
        if cycle_code == "primary" and not private and rural:
            pattern = names.RURAL_PRIMARY_PATTERN
        out = []
        for _ in range(count):
            namesake = names.SCHOOL_NAMESAKES[int(rng.integers(len(names.SCHOOL_NAMESAKES)))]
            effect = rng.normal(0.0, P.SCHOOL_EFFECT_SD)
            effect += P.SCHOOL_EFFECT_PRIVATE * private + P.SCHOOL_EFFECT_URBAN * (not rural)
            sloppy = rng.random() < P.RECORDING_GAP_SLOPPY_SHARE
            out.append(len(self.code))
            self.code.append(self._next_code(province))
            self.province.append(province)
            self.cycle.append(cycle)
            self.private.append(private)
            self.rural.append(rural)
            self.name_fr.append(pattern[0].format(namesake[0]))
            self.name_ar.append(pattern[1].format(namesake[1]))
            self.effect.append(float(effect))
            self.weight.append(float(rng.lognormal(0.0, 0.4)))
            self.recording_gap.append(P.RECORDING_GAP_SLOPPY if sloppy else P.RECORDING_GAP_COMMON)
        return out

    def open_for(
        self,
        rng: np.random.Generator,
        province: np.ndarray,
        cycle: np.ndarray,
        private: np.ndarray,
        rural: np.ndarray,
    ) -> None:
        """Open schools for a first population, only where they can fill their classes.

        A school's floor is ``school_floor``: the cycle's levels times SCHOOL_CLASS_FLOOR (one class per
        level), times SCHOOL_FLOOR_RURAL_FACTOR in a rural area. A (cycle, sector, area) of the region with
        a floor of pupils gets max(1, round(pupils / SCHOOL_SIZE)) schools, in its largest cells (province,
        cycle, sector, area) first, a cell taking at most max(1, round(its pupils / SCHOOL_SIZE)) and its
        pupils // floor (the largest cell at least one). The pupils of the other cells join the region's
        schools of their kind (see ``assign``). A (cycle, sector) with MIN_PUPILS_PER_KIND pupils over
        both areas gets one school whatever its size, so that a private pupil stays in a private school
        (any cycle left without a school gets one when a pupil needs it).
        """
        key = _cell_key(province, cycle, private, rural)
        cells, counts = np.unique(key, return_counts=True)
        opened: set[tuple[int, int, int]] = set()
        largest: dict[tuple[int, int, int], tuple[int, int]] = {}
        kinds: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
        for cell, m in zip(cells.tolist(), counts.tolist(), strict=True):
            prov, cyc, priv, rur = _cell_parts(cell)
            kinds.setdefault((cyc, priv, rur), []).append((cell, m))
            if m > largest.get((cyc, priv, rur), (-1, 0))[1]:
                largest[(cyc, priv, rur)] = (cell, m)
        totals = {kind: sum(m for _, m in members) for kind, members in kinds.items()}
        for kind, members in sorted(kinds.items()):
            cyc, priv, rur = kind
            target = P.SCHOOL_SIZE[(cycles()[cyc], SECTORS[priv], AREAS[rur])]
            floor = school_floor(cyc, bool(rur))
            if totals[kind] < floor:
                continue
            # the kind's schools in the region, in its largest cells first (ties: cell order)
            left = max(1, round(totals[kind] / target))
            for cell, m in sorted(members, key=lambda cm: (-cm[1], cm[0])):
                n = min(left, max(1, round(m / target)), m // floor)
                if cell == largest[kind][0]:
                    n = max(n, 1)
                if not n:
                    continue
                prov, cyc, priv, rur = _cell_parts(cell)
                self.create(rng, prov, cyc, bool(priv), bool(rur), n)
                opened.add(kind)
                left -= n
                if left <= 0:
                    break
        # a (cycle, sector) whose areas are each too small, together large enough (the urban and the few
        # rural private pupils of a small region): one school in its largest cell
        sectors: dict[tuple[int, int], tuple[int, int, int]] = {}  # -> (pupils, largest cell, its pupils)
        for (cyc, priv, rur), (cell, m) in sorted(largest.items()):
            total, best, best_m = sectors.get((cyc, priv), (0, cell, -1))
            total += totals[(cyc, priv, rur)]
            sectors[(cyc, priv)] = (total, cell, m) if m > best_m else (total, best, best_m)
        has = {(cyc, priv) for cyc, priv, _ in opened}
        for sector, (total, cell, _) in sorted(sectors.items()):
            if sector not in has and total >= P.MIN_PUPILS_PER_KIND:
                prov, cyc, priv, rur = _cell_parts(cell)
                self.create(rng, prov, cyc, bool(priv), bool(rur), 1)

    def assign(
        self,
        rng: np.random.Generator,
        province: np.ndarray,
        cycle: np.ndarray,
        private: np.ndarray,
        rural: np.ndarray,
    ) -> np.ndarray:
        """A school for each pupil: one of the cell's schools (by size weight), else the nearest match.

        Fallback order (sector and area shares matter more than the province of a small sample): same
        region, cycle, sector and area; same province, cycle and sector; same region, cycle and sector;
        same province and cycle; same region and cycle; else a new school is opened in the pupil's cell.
        """
        out = np.full(len(province), -1, dtype=np.int64)
        if not len(province):
            return out
        key = _cell_key(province, cycle, private, rural)
        cells, inverse = np.unique(key, return_inverse=True)
        s_prov = np.array(self.province, dtype=np.int64)
        s_cyc = np.array(self.cycle, dtype=np.int64)
        s_priv = np.array(self.private, dtype=bool)
        s_rur = np.array(self.rural, dtype=bool)
        for i, cell in enumerate(cells.tolist()):
            prov, cyc, priv, rur = _cell_parts(cell)
            members = np.flatnonzero(inverse == i)
            candidates = np.array([], dtype=np.int64)
            for mask in (
                (s_prov == prov) & (s_cyc == cyc) & (s_priv == priv) & (s_rur == rur),
                (s_cyc == cyc) & (s_priv == priv) & (s_rur == rur),
                (s_prov == prov) & (s_cyc == cyc) & (s_priv == priv),
                (s_cyc == cyc) & (s_priv == priv),
                (s_prov == prov) & (s_cyc == cyc),
                s_cyc == cyc,
            ):
                candidates = np.flatnonzero(mask)
                if len(candidates):
                    break
            if not len(candidates):
                candidates = np.array(self.create(rng, prov, cyc, bool(priv), bool(rur), 1))
                s_prov, s_cyc = np.append(s_prov, prov), np.append(s_cyc, cyc)
                s_priv, s_rur = np.append(s_priv, bool(priv)), np.append(s_rur, bool(rur))
            w = np.array(self.weight)[candidates]
            out[members] = candidates[rng.choice(len(candidates), size=len(members), p=w / w.sum())]
        return out

    def frame(self, school_year: str) -> pl.DataFrame:
        """The schools entity (typed)."""
        n = len(self)
        columns = {
            "school_year": [school_year] * n,
            "region_code": [self.region.code] * n,
            "province_code": [self.region.provinces[p].code for p in self.province],
            "school_code": self.code,
            "school_name_fr": self.name_fr,
            "school_name_ar": self.name_ar,
            "sector": [SECTORS[int(x)] for x in self.private],
            "area": [AREAS[int(x)] for x in self.rural],
            "cycle_code": [cycles()[c] for c in self.cycle],
        }
        return pl.DataFrame({k: pl.Series(k, v, dtype=pl.String) for k, v in columns.items()}).sort(
            "school_code"
        )


def school_floor(cycle: int, rural: bool = False) -> int:
    """The fewest pupils a school of ``cycle`` opens with: its levels times SCHOOL_CLASS_FLOOR, times
    SCHOOL_FLOOR_RURAL_FACTOR in a rural area."""
    code = cycles()[cycle]
    floor = len(levels().of_cycle(code)) * P.SCHOOL_CLASS_FLOOR[code]
    return max(1, int(floor * P.SCHOOL_FLOOR_RURAL_FACTOR)) if rural else floor


def _cell_key(province: np.ndarray, cycle: np.ndarray, private: np.ndarray, rural: np.ndarray) -> np.ndarray:
    return ((province.astype(np.int64) * 8 + cycle) * 2 + private.astype(np.int64)) * 2 + rural.astype(
        np.int64
    )


def _cell_parts(key: int) -> tuple[int, int, int, int]:
    return key // 32, (key // 4) % 8, (key // 2) % 2, key % 2


@dataclass
class Classes:
    """The classes of a region in a school year (index = class index)."""

    school: np.ndarray
    level: np.ndarray
    stream: np.ndarray
    code: pl.Series

    def __len__(self) -> int:
        return len(self.school)

    def frame(self, school_year: str, region_code: str, registry: SchoolRegistry) -> pl.DataFrame:
        school_codes = pl.Series(registry.code, dtype=pl.String)
        stream_codes = pl.Series([*streams(), None], dtype=pl.String)
        n = len(self)
        return pl.DataFrame(
            {
                "school_year": pl.repeat(school_year, n, dtype=pl.String, eager=True),
                "region_code": pl.repeat(region_code, n, dtype=pl.String, eager=True),
                "school_code": school_codes.gather(self.school),
                "class_code": self.code,
                "level_code": pl.Series(levels().codes, dtype=pl.String).gather(self.level),
                "stream_code": stream_codes.gather(np.where(self.stream < 0, len(streams()), self.stream)),
            }
        )


def consolidate_streams(
    school: np.ndarray, level: np.ndarray, stream: np.ndarray, minimum: int
) -> np.ndarray:
    """Streams after small streams of a (school, level) join its largest stream (ties: seed order)."""
    out = stream.copy()
    has = np.flatnonzero(stream >= 0)
    if not len(has):
        return out
    n_levels, n_streams = len(levels().codes), len(streams())
    key = (school[has] * n_levels + level[has]) * n_streams + stream[has]
    groups, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    sl, st = groups // n_streams, groups % n_streams
    order = np.lexsort((st, -counts, sl))
    lead = order[np.concatenate([[True], sl[order][1:] != sl[order][:-1]])]
    best = st[lead][np.searchsorted(sl[lead], sl)]
    out[has] = np.where(counts < minimum, best, st)[inverse]
    return out


def class_size_target(registry: SchoolRegistry, school: np.ndarray) -> np.ndarray:
    priv = np.array(registry.private, dtype=bool)[school]
    rur = np.array(registry.rural, dtype=bool)[school]
    cyc = np.array(registry.cycle, dtype=np.int64)[school]
    table = np.array([[P.CLASS_SIZE_TARGET[(s, a)] for a in AREAS] for s in SECTORS])
    target = table[priv.astype(int), rur.astype(int)]
    extra = np.array([P.CLASS_SIZE_PUBLIC_EXTRA.get(c, 0) for c in cycles()], dtype=np.int64)
    target = target + np.where(priv, 0, extra[cyc])
    return np.where(cyc == cycles().index("preschool"), P.PRESCHOOL_CLASS_SIZE, target)


def form_classes(
    rng: np.random.Generator,
    registry: SchoolRegistry,
    school: np.ndarray,
    level: np.ndarray,
    stream: np.ndarray,
) -> tuple[np.ndarray, Classes]:
    """Split the pupils of each (school, level, stream) into classes of ~25-40; returns each pupil's class.

    Classes are numbered 01, 02... within a school and level, streams in seed order.
    """
    n_levels, n_streams = len(levels().codes), len(streams()) + 1
    key = (school * n_levels + level) * n_streams + (stream + 1)
    groups, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    g_school = groups // (n_levels * n_streams)
    g_level = (groups // n_streams) % n_levels
    g_stream = groups % n_streams - 1
    target = class_size_target(registry, g_school)
    n_classes = np.maximum(1, np.rint(counts / target).astype(np.int64))
    largest = np.array([P.CLASS_SIZE_MAX[c] for c in cycles()], dtype=np.int64)
    largest = largest[np.array(registry.cycle, dtype=np.int64)[g_school]]
    n_classes = np.maximum(n_classes, -(-counts // largest))
    # rank of each pupil within its group, in random order
    order = np.lexsort((rng.random(len(key)), inverse))
    group_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - group_start[inverse[order]]
    local = rank * n_classes[inverse] // counts[inverse]
    first_class = np.concatenate([[0], np.cumsum(n_classes)[:-1]])
    pupil_class = first_class[inverse] + local

    # class numbers within (school, level): running count over the streams of that school and level
    c_group = np.repeat(np.arange(len(groups)), n_classes)
    within_group = np.arange(len(c_group)) - first_class[c_group]
    sl = g_school * n_levels + g_level
    sl_first_group = np.concatenate([[True], sl[1:] != sl[:-1]])
    sl_offset = first_class - np.maximum.accumulate(np.where(sl_first_group, first_class, 0))
    number = sl_offset[c_group] + within_group + 1
    if len(number) and number.max() > 99:
        raise ValueError("more than 99 classes of one level in a school: raise the school sizes")
    c_school, c_level, c_stream = g_school[c_group], g_level[c_group], g_stream[c_group]
    codes_series = (
        pl.Series(registry.code, dtype=pl.String).gather(c_school)
        + "-"
        + pl.Series(levels().codes, dtype=pl.String).gather(c_level)
        + "-"
        + pl.Series(number).cast(pl.String).str.zfill(2)
    ).alias("class_code")
    return pupil_class, Classes(c_school, c_level, c_stream, codes_series)
