"""Pupils of one region: who they are (identity, household) and where they are in school.

Pupils are held as a struct of numpy arrays (one entry per pupil), so that a region's population is
created and moved from one year to the next without a Python loop per pupil.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from synthetic import names
from synthetic import parameters as P
from synthetic.reference import Region, allocate, cycles, levels, regions, streams

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


def regional_private_shares(allocation: dict[str, int]) -> dict[str, dict[str, float]]:
    """The private share of each region's cycles, so that the nation's private pupils of a cycle are
    PRIVATE_SHARE of its pupils at any number of pupils (``allocation``: first year's pupils by region).

    A deterministic quota, no draw: the nation's private pupils of a cycle, round(share x pupils), are
    split between the regions in proportion to their pupils of the cycle (largest remainder); while the
    smallest region's quota is under PRIVATE_MIN_PUPILS_PER_REGION, that region gets none and the others
    share its quota (a private school needs pupils: a small sample concentrates its private pupils in the
    larger regions, which have most private schools anyway), as long as the others stay under
    PRIVATE_SHARE_MAX_FACTOR times the national share. Large samples keep every region at the national
    share (up to rounding).
    """
    by_region = {r.code: r for r in regions()}
    codes = sorted(allocation)
    cycle_of_level = np.array(levels().cycles)
    pupils = {r: region_level_counts(by_region[r], allocation[r]) for r in codes}
    out: dict[str, dict[str, float]] = {r: {} for r in codes}
    for cycle, share in P.PRIVATE_SHARE.items():
        n = {r: int(pupils[r][cycle_of_level == cycle].sum()) for r in codes}
        quota = round(share * sum(n.values()))
        cap = min(1.0, share * P.PRIVATE_SHARE_MAX_FACTOR)
        # largest regions first (ties: region order); the smallest is dropped first
        keep = sorted((r for r in codes if n[r] > 0), key=lambda r: (-n[r], r))
        while len(keep) > 1:
            q = allocate(quota, [n[r] for r in keep])
            if q[-1] >= P.PRIVATE_MIN_PUPILS_PER_REGION or cap * sum(n[r] for r in keep[:-1]) < quota:
                break
            keep.pop()
        q = allocate(quota, [n[r] for r in keep]) if keep else np.array([], dtype=np.int64)
        got = dict(zip(keep, q.tolist(), strict=True))
        for r in codes:
            out[r][cycle] = min(cap, got[r] / n[r]) if got.get(r) else 0.0
    return out


def private_pupils(
    rng: np.random.Generator,
    cycle: np.ndarray,
    rural: np.ndarray,
    private_share: dict[str, float] | None = None,
) -> np.ndarray:
    """Which pupils go to a private school: of each cycle's n pupils, exactly share x n (rounded up or
    down at random in proportion to the fraction), chosen with weights (private schools are urban: a rural
    pupil weighs PRIVATE_SHARE_RURAL, an urban one the cycle's share over its urban share)."""
    shares = private_share or P.PRIVATE_SHARE
    cyc_names = cycles()
    out = np.zeros(len(cycle), dtype=bool)
    u = rng.random(len(cycle))
    for c, name in enumerate(cyc_names):
        at = np.flatnonzero(cycle == c)
        share = shares.get(name, 0.0)
        if not len(at) or share <= 0:
            continue
        national_rural = 0.4 * P.RURAL_FACTOR_BY_CYCLE[name]
        urban = max(
            P.PRIVATE_SHARE_RURAL, (share - P.PRIVATE_SHARE_RURAL * national_rural) / (1 - national_rural)
        )
        weight = np.where(rural[at], P.PRIVATE_SHARE_RURAL, urban)
        exact = share * len(at)
        k = min(len(at), int(exact) + int(rng.random() < exact - int(exact)))
        # weighted sampling without replacement (Efraimidis-Spirakis): the k largest u^(1/w)
        key = np.log(np.maximum(u[at], 1e-300)) / weight
        out[at[np.argsort(-key, kind="stable")[:k]]] = True
    return out


def make_pupils(
    rng: np.random.Generator,
    region: Region,
    level: np.ndarray,
    first_year: int,
    numbers: np.ndarray,
    delay: np.ndarray,
    private_share: dict[str, float] | None = None,
) -> Pupils:
    """New pupils at ``level`` in school year ``first_year``-(+1), ``delay`` years older than usual.

    ``private_share``: the region's private share by cycle (``regional_private_shares``); the national
    shares when None."""
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
    private = private_pupils(rng, cyc, rural, private_share)

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
    rng: np.random.Generator,
    region: Region,
    counts: np.ndarray,
    first_year: int,
    first_number: int,
    private_share: dict[str, float] | None = None,
) -> Pupils:
    """The pupils of a region in the first generated year (every level filled, some pupils late)."""
    lv = levels()
    level = np.repeat(np.arange(len(counts)), counts)
    passed = np.maximum(0, level - lv.index("1AP"))
    delay = rng.binomial(passed, P.DELAY_PER_LEVEL)
    pupils = make_pupils(
        rng, region, level, first_year, first_number + np.arange(len(level)), delay, private_share
    )
    pupils.new = (level == lv.index("PS1")) | ((level == lv.index("1AP")) & (delay == 0))
    return pupils


def entrants(
    rng: np.random.Generator,
    region: Region,
    level_code: str,
    count: int,
    first_year: int,
    first_number: int,
    private_share: dict[str, float] | None = None,
) -> Pupils:
    """Pupils enrolling for the first time (PS1, or 1AP without preschool)."""
    level = np.full(count, levels().index(level_code), dtype=np.int64)
    pupils = make_pupils(
        rng,
        region,
        level,
        first_year,
        first_number + np.arange(count),
        np.zeros(count, np.int64),
        private_share,
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
