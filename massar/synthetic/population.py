"""Pupils of one region: who they are (identity, household) and where they are in school.

Pupils are held as a struct of numpy arrays (one entry per pupil), so that a region's population is
created and moved from one year to the next without a Python loop per pupil.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from massar.synthetic import names
from massar.synthetic import parameters as P
from massar.synthetic.reference import Region, cycles, levels, streams

GUARDIAN_NONE, GUARDIAN_FATHER, GUARDIAN_MOTHER = 0, 1, 2


@dataclass
class Pupils:
    """One entry per pupil. ``school`` is -1 when the pupil still needs a school for the year."""

    number: np.ndarray  # int64, per-region counter (see codes.student_codes)
    female: np.ndarray  # bool
    birth: np.ndarray  # datetime64[D]
    first_name: np.ndarray  # index in the names list of the pupil's sex
    last_name: np.ndarray  # index in FAMILY_NAMES
    guardian_kind: np.ndarray  # GUARDIAN_*
    guardian_first: np.ndarray  # index in the father's or mother's names list
    guardian_last: np.ndarray  # index in FAMILY_NAMES
    province: np.ndarray  # index in region.provinces (household)
    rural: np.ndarray  # bool (household)
    private: np.ndarray  # bool (family prefers a private school)
    ability: np.ndarray  # float, persistent
    absence_z: np.ndarray  # float, persistent propensity to miss school
    level: np.ndarray  # level index
    stream: np.ndarray  # stream index, -1 below upper secondary
    school: np.ndarray  # school index in the region's registry, -1 = to choose
    new: np.ndarray  # bool: first enrollment ever (event "entry")

    def __len__(self) -> int:
        return len(self.number)

    def take(self, index: np.ndarray) -> Pupils:
        return Pupils(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Pupils]) -> Pupils:
        return Pupils(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Pupils)})

    def cycle_index(self) -> np.ndarray:
        return level_cycle_index()[self.level]


def level_cycle_index() -> np.ndarray:
    lv = levels()
    return np.array([cycles().index(c) for c in lv.cycles])


def _draw(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    """Indices into ``list(shares)`` drawn with the given probabilities."""
    p = np.array(list(shares.values()), dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum())


def stream_on_entry(rng: np.random.Generator, level_code: str, size: int) -> np.ndarray:
    shares = P.STREAMS_ON_ENTRY[level_code]
    codes = np.array([streams().index(s) for s in shares])
    return codes[_draw(rng, shares, size)]


def region_level_counts(region: Region, pupils: int) -> np.ndarray:
    """Pupils per level in a region: cycles from the region's estimates, levels evenly within a cycle."""
    from massar.synthetic.reference import allocate

    primary, college, qualifiant = P.REGION_PUPIL_ESTIMATES[region.code]
    by_cycle = {
        "preschool": primary * P.PRESCHOOL_PER_PRIMARY,
        "primary": primary,
        "lower_secondary": college,
        "upper_secondary": qualifiant,
    }
    lv = levels()
    weights = [by_cycle[c] / len(lv.of_cycle(c)) for c in lv.cycles]
    return allocate(pupils, weights)


def make_pupils(
    rng: np.random.Generator,
    region: Region,
    level: np.ndarray,
    first_year: int,
    numbers: np.ndarray,
    delay: np.ndarray,
) -> Pupils:
    """New pupils at ``level`` in school year ``first_year``-(+1), ``delay`` years older than usual."""
    n = len(level)
    lv = levels()
    cyc_names = cycles()
    cyc = level_cycle_index()[level]
    girls = np.array([P.GIRLS_SHARE[c] for c in cyc_names])[cyc]
    female = rng.random(n) < girls

    pop = np.array([p.population for p in region.provinces], dtype=np.float64)
    province = rng.choice(len(pop), size=n, p=pop / pop.sum())
    ptype = np.array([P.RURAL_SHARE_BY_PROVINCE_TYPE[p.type] for p in region.provinces])[province]
    rural_p = np.minimum(0.95, ptype * np.array([P.RURAL_FACTOR_BY_CYCLE[c] for c in cyc_names])[cyc])
    rural = rng.random(n) < rural_p
    # Private schools are urban: the urban probability is the cycle's share over its urban share.
    national_rural = np.array([0.4 * P.RURAL_FACTOR_BY_CYCLE[c] for c in cyc_names])
    share = np.array([P.PRIVATE_SHARE[c] for c in cyc_names])
    urban_private = (share - P.PRIVATE_SHARE_RURAL * national_rural) / (1 - national_rural)
    private = rng.random(n) < np.where(rural, P.PRIVATE_SHARE_RURAL, urban_private[cyc])

    ability = rng.standard_normal(n)
    rho = P.ABILITY_ABSENCE_CORRELATION
    absence_z = rho * ability + np.sqrt(1 - rho**2) * rng.standard_normal(n)

    birth_year = first_year - lv.typical_age[level] - delay
    year_start = (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    year_len = ((year_start.astype("datetime64[Y]") + 1).astype("datetime64[D]") - year_start).astype(
        np.int64
    )
    birth = year_start + np.floor(rng.random(n) * year_len).astype(np.int64)

    stream = np.full(n, -1, dtype=np.int64)
    for code in P.STREAMS_ON_ENTRY:
        at = np.flatnonzero(level == lv.index(code))
        stream[at] = stream_on_entry(rng, code, len(at))

    n_male, n_female, n_family = (
        len(names.MALE_FIRST_NAMES),
        len(names.FEMALE_FIRST_NAMES),
        len(names.FAMILY_NAMES),
    )
    first_name = np.where(female, rng.integers(0, n_female, n), rng.integers(0, n_male, n))
    last_name = rng.integers(0, n_family, n)
    u = rng.random(n)
    guardian_kind = np.where(
        u < P.GUARDIAN_FATHER_SHARE,
        GUARDIAN_FATHER,
        np.where(u < P.GUARDIAN_FATHER_SHARE + P.GUARDIAN_MOTHER_SHARE, GUARDIAN_MOTHER, GUARDIAN_NONE),
    )
    guardian_first = np.where(
        guardian_kind == GUARDIAN_MOTHER, rng.integers(0, n_female, n), rng.integers(0, n_male, n)
    )
    guardian_last = np.where(guardian_kind == GUARDIAN_MOTHER, rng.integers(0, n_family, n), last_name)

    return Pupils(
        number=np.asarray(numbers, dtype=np.int64),
        female=female,
        birth=birth,
        first_name=first_name,
        last_name=last_name,
        guardian_kind=guardian_kind,
        guardian_first=guardian_first,
        guardian_last=guardian_last,
        province=province,
        rural=rural,
        private=private,
        ability=ability,
        absence_z=absence_z,
        level=np.asarray(level, dtype=np.int64),
        stream=stream,
        school=np.full(n, -1, dtype=np.int64),
        new=np.zeros(n, dtype=bool),
    )


def initial_population(
    rng: np.random.Generator, region: Region, counts: np.ndarray, first_year: int, first_number: int
) -> Pupils:
    """The pupils of a region in the first generated year (every level filled, some pupils late)."""
    lv = levels()
    level = np.repeat(np.arange(len(counts)), counts)
    passed = np.maximum(0, level - lv.index("1AP"))
    delay = rng.binomial(passed, P.DELAY_PER_LEVEL)
    pupils = make_pupils(rng, region, level, first_year, first_number + np.arange(len(level)), delay)
    pupils.new = (level == lv.index("PS1")) | ((level == lv.index("1AP")) & (delay == 0))
    return pupils


def entrants(
    rng: np.random.Generator, region: Region, level_code: str, count: int, first_year: int, first_number: int
) -> Pupils:
    """Pupils enrolling for the first time (PS1, or 1AP without preschool)."""
    level = np.full(count, levels().index(level_code), dtype=np.int64)
    pupils = make_pupils(
        rng, region, level, first_year, first_number + np.arange(count), np.zeros(count, np.int64)
    )
    pupils.new[:] = True
    return pupils


def next_streams(rng: np.random.Generator, stream: np.ndarray, next_level_code: str) -> np.ndarray:
    """Stream after promotion to ``next_level_code`` (TC -> 1BAC, 1BAC -> 2BAC)."""
    table = P.STREAM_TRANSITIONS_2BAC if next_level_code == "2BAC" else {}
    out = stream.copy()
    codes = streams()
    for current in np.unique(stream[stream >= 0]):
        at = np.flatnonzero(stream == current)
        shares = table.get(codes[current]) or P.STREAM_TRANSITIONS[codes[current]]
        targets = np.array([codes.index(s) for s in shares])
        out[at] = targets[_draw(rng, shares, len(at))]
    return out
