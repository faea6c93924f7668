"""Code lists and geography, read from the dbt seeds (never hard-coded here)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ingestion.codelists import allowed_codes, read_seed
from synthetic.parameters import AGE_PS1


@dataclass(frozen=True)
class Levels:
    """The code_levels seed, in level order; arrays are indexed by level index."""

    codes: tuple[str, ...]
    cycles: tuple[str, ...]
    next_index: np.ndarray  # -1 after the last level
    sessions_per_day: np.ndarray
    final_of_cycle: np.ndarray  # bool: the next level is in another cycle (or there is none)
    typical_age: np.ndarray  # age reached during the calendar year the school year starts

    def index(self, code: str) -> int:
        return self.codes.index(code)

    def of_cycle(self, cycle: str) -> list[int]:
        return [i for i, c in enumerate(self.cycles) if c == cycle]


@cache
def levels() -> Levels:
    rows = sorted(read_seed("code_levels"), key=lambda r: int(r["level_order"]))
    codes = tuple(r["level_code"] for r in rows)
    cycles = tuple(r["cycle_code"] for r in rows)
    nxt = np.array([codes.index(r["next_level_code"]) if r["next_level_code"] else -1 for r in rows])
    final = np.array([n < 0 or cycles[n] != cycles[i] for i, n in enumerate(nxt)])
    first_order = int(rows[0]["level_order"])
    age = np.array([AGE_PS1 + int(r["level_order"]) - first_order for r in rows])
    spd = np.array([int(r["sessions_per_day"]) for r in rows])
    return Levels(codes, cycles, nxt, spd, final, age)


@cache
def cycles() -> tuple[str, ...]:
    """Cycle codes in cycle order."""
    return tuple(
        r["cycle_code"] for r in sorted(read_seed("code_cycles"), key=lambda r: int(r["cycle_order"]))
    )


@cache
def streams() -> tuple[str, ...]:
    return tuple(r["stream_code"] for r in read_seed("code_streams"))


@cache
def subjects() -> tuple[str, ...]:
    return tuple(r["subject_code"] for r in read_seed("code_subjects"))


@cache
def absence_reasons(justifiable: bool) -> tuple[str, ...]:
    return tuple(
        r["reason_code"]
        for r in read_seed("code_absence_reasons")
        if (r["justifiable"] == "true") == justifiable
    )


def check_codes(codes: list[str] | tuple[str, ...], codelist: str) -> None:
    """Fail early when a parameter names a code that its seed does not list."""
    unknown = sorted(set(codes) - allowed_codes(codelist) - {""})
    if unknown:
        raise ValueError(f"codes {unknown} are not in the {codelist} seed")


@dataclass(frozen=True)
class Province:
    code: str  # RR.PPP
    digits: str  # RRPPP
    name_fr: str
    type: str  # prefecture or province
    population: int


@dataclass(frozen=True)
class Region:
    code: str
    name_fr: str
    provinces: tuple[Province, ...]


@cache
def regions() -> tuple[Region, ...]:
    """The 12 regions and their provinces (geo seeds), in code order."""
    provinces = sorted(read_seed("code_provinces"), key=lambda r: r["province_code"])
    out = []
    for r in sorted(read_seed("code_regions"), key=lambda r: r["region_code"]):
        mine = tuple(
            Province(
                p["province_code"], p["hcp_code_digits"], p["name_fr"], p["type"], int(p["population_2024"])
            )
            for p in provinces
            if p["region_code"] == r["region_code"]
        )
        out.append(Region(r["region_code"], r["name_fr"], mine))
    return tuple(out)


def allocate(total: int, weights: list[float] | np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties to the first)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    order = np.lexsort((np.arange(len(w)), -(exact - base)))
    base[order[:rest]] += 1
    return base
