"""Teachers (persistent per school, subject group and slot) and their teaching assignments."""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic import codes, names
from synthetic import parameters as P
from synthetic.curriculum import curriculum
from synthetic.reference import cycles, subjects
from synthetic.schools import Classes, SchoolRegistry, class_size_target

_SLOTS = 1000


class Counter:
    """Numbers handed out in order (0, 1, 2...): shared by the chunks of a region for its codes."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, count: int) -> int:
        """The first of ``count`` new numbers."""
        first = self.next
        self.next += count
        return first


class TeacherPool:
    """The teachers of a region (or chunk). A teacher is identified by (school, subject group, slot) for
    ever; ``numbers`` gives their code numbers (the region's counter when it is simulated in chunks)."""

    def __init__(self, region_code: str, numbers: Counter | None = None) -> None:
        self.region_code = region_code
        self._numbers = numbers or Counter()
        self._row: dict[int, int] = {}
        self.number: list[int] = []
        self.female: list[bool] = []
        self.first_name: list[int] = []
        self.last_name: list[int] = []

    def resolve(self, rng: np.random.Generator, keys: np.ndarray, female_share: np.ndarray) -> np.ndarray:
        """Rows of the teachers with ``keys`` (sorted, unique), hiring the ones not seen before."""
        out = np.empty(len(keys), dtype=np.int64)
        for i, key in enumerate(keys.tolist()):
            row = self._row.get(key)
            if row is None:
                row = len(self.number)
                self._row[key] = row
                female = bool(rng.random() < female_share[i])
                pool = names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES
                self.number.append(self._numbers.take(1))
                self.female.append(female)
                self.first_name.append(int(rng.integers(len(pool))))
                self.last_name.append(int(rng.integers(len(names.FAMILY_NAMES))))
            out[i] = row
        return out

    def codes(self, rows: np.ndarray) -> pl.Series:
        return codes.teacher_codes(self.region_code, np.array(self.number, dtype=np.int64)[rows])

    def names_fr(self, rows: np.ndarray) -> tuple[list[str], list[str]]:
        first, last = [], []
        for r in rows.tolist():
            pool = names.FEMALE_FIRST_NAMES if self.female[r] else names.MALE_FIRST_NAMES
            first.append(pool[self.first_name[r]][0])
            last.append(names.FAMILY_NAMES[self.last_name[r]][0])
        return first, last


def _split_pools(
    pool: np.ndarray, hours: np.ndarray, capacity: np.ndarray, taught: np.ndarray, ceiling: np.ndarray
) -> np.ndarray:
    """Teacher of each block (blocks sorted by pool, then school): a pool of H weighted hours and T hours
    taught gets max(1, round(H / capacity), ceil(T / ceiling)) teachers, each taking a run of consecutive
    blocks of about the same hours taught (a teacher's load is within about half a class of the pool's
    mean load, and the mean is at most ``ceiling``)."""
    if not len(pool):
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], pool[1:] != pool[:-1]]))
    ends = np.append(starts[1:], len(pool))
    pool_hours = np.add.reduceat(hours, starts)
    pool_capacity = np.add.reduceat(capacity * hours, starts) / np.maximum(pool_hours, 1e-12)
    pool_taught = np.add.reduceat(taught, starts)
    pool_ceiling = np.add.reduceat(ceiling * taught, starts) / np.maximum(pool_taught, 1e-12)
    n_teachers = np.maximum.reduce(
        [
            np.ones(len(starts), dtype=np.int64),
            np.rint(pool_hours / pool_capacity).astype(np.int64),
            np.ceil(pool_taught / pool_ceiling - 1e-9).astype(np.int64),
        ]
    )
    size = ends - starts
    pool_of = np.repeat(np.arange(len(starts)), size)
    cumulative = np.cumsum(taught) - np.repeat(np.cumsum(taught)[starts] - taught[starts], size)
    midpoint = (cumulative - taught / 2) / np.maximum(pool_taught[pool_of], 1e-12)
    local = np.minimum((midpoint * n_teachers[pool_of]).astype(np.int64), n_teachers[pool_of] - 1)
    first_teacher = np.concatenate([[0], np.cumsum(n_teachers)[:-1]])
    return first_teacher[pool_of] + local


def _merge_small_pools(
    pool: np.ndarray, n_groups: int, hours: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Pools of a subject group with less than ``TEACHER_POOL_MERGE`` of a teacher's load join the largest
    pool of the same sector and cycle family: its teachers also teach that subject (small regions'
    schools)."""
    pools, inverse = np.unique(pool, return_inverse=True)
    pool_hours = np.bincount(inverse, weights=hours)
    pool_capacity = np.bincount(inverse, weights=hours * capacity) / np.maximum(pool_hours, 1e-12)
    family = pools // n_groups
    target = pools.copy()
    for f in np.unique(family).tolist():
        members = np.flatnonzero(family == f)
        largest = members[np.argmax(pool_hours[members])]
        small = members[pool_hours[members] < pool_capacity[members] * P.TEACHER_POOL_MERGE]
        target[small] = pools[largest]
    return target[inverse]


def _main_school(teacher: np.ndarray, school: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Per teacher (``teacher``: sorted run ids, one per block): the school where they teach the most
    hours (the first such school in block order on a tie), their main school."""
    n_schools = int(school.max(initial=0)) + 1
    key = teacher * n_schools + school
    pair, first_block, inverse = np.unique(key, return_index=True, return_inverse=True)
    total = np.bincount(inverse, weights=hours)
    pair_teacher = pair // n_schools
    best = np.lexsort((first_block, -total, pair_teacher))  # per teacher: most hours, then first in order
    head = np.concatenate([[True], pair_teacher[best][1:] != pair_teacher[best][:-1]])
    return (pair % n_schools)[best][head]


def _teacher_keys(
    teacher_sorted: np.ndarray,
    order: np.ndarray,
    school: np.ndarray,
    group: np.ndarray,
    taught: np.ndarray,
    n_groups: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The teachers' keys (main school, group, slot; sorted) and each block's teacher (an index into the
    keys). ``teacher_sorted``, ``school``, ``group``, ``taught``: per block in ``order``. The slot is the
    teacher's rank among the teachers of that school and group (a stable identity across years)."""
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = teacher_sorted[1:] != teacher_sorted[:-1]
    t_sg = _main_school(teacher_sorted, school, taught) * n_groups
    t_sg = t_sg + group[starts]
    by_sg = np.argsort(t_sg, kind="stable")
    sorted_sg = t_sg[by_sg]
    t_slot = np.empty(len(t_sg), dtype=np.int64)
    t_slot[by_sg] = np.arange(len(t_sg)) - np.searchsorted(sorted_sg, sorted_sg, side="left")
    teacher_of_block = np.empty(len(order), dtype=np.int64)
    teacher_of_block[order] = teacher_sorted
    keys_unsorted = t_sg * _SLOTS + t_slot
    keys, key_index = np.unique(keys_unsorted, return_inverse=True)
    return keys, key_index[teacher_of_block]


def _teachers_frame(
    rng: np.random.Generator,
    pool: TeacherPool,
    registry: SchoolRegistry,
    keys: np.ndarray,
    n_groups: int,
    statutory: np.ndarray,
    school_year: str,
) -> tuple[pl.DataFrame, pl.Series]:
    """The teachers entity (typed) of the teachers' keys, resolved to people of the pool, and their codes."""
    school_cycle = np.array(registry.cycle, dtype=np.int64)
    k_school = keys // _SLOTS // n_groups
    k_group = keys // _SLOTS % n_groups
    female_share = (
        np.array([P.TEACHER_FEMALE_SHARE[c] for c in cycles()])[school_cycle[k_school]]
        if len(keys)
        else np.array([])
    )
    rows = pool.resolve(rng, keys, female_share)
    teacher_codes = pool.codes(rows)
    first, last = pool.names_fr(rows)
    n = len(keys)
    teachers = pl.DataFrame(
        {
            "school_year": pl.repeat(school_year, n, dtype=pl.String, eager=True),
            "region_code": pl.repeat(pool.region_code, n, dtype=pl.String, eager=True),
            "teacher_code": teacher_codes,
            "school_code": pl.Series(registry.code, dtype=pl.String).gather(k_school),
            "last_name_fr": pl.Series(last, dtype=pl.String),
            "first_name_fr": pl.Series(first, dtype=pl.String),
            "sex": pl.Series(np.where(np.array(pool.female, dtype=bool)[rows], "F", "M"), dtype=pl.String)
            if n
            else pl.Series([], dtype=pl.String),
            "subject_code": pl.Series(subjects(), dtype=pl.String).gather(k_group),
            "statutory_hours": pl.Series(statutory[k_school], dtype=pl.Int64),
        }
    )
    return teachers, teacher_codes


def staff(
    rng: np.random.Generator,
    classes: Classes,
    registry: SchoolRegistry,
    pool: TeacherPool,
    school_year: str,
    class_pupils: np.ndarray,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Teachers and teaching assignments (typed frames) for the year's classes.

    A teacher teaches one subject group (generalists in preschool and primary) in whole classes, up to
    their statutory weekly load times ``TEACHER_LOAD_FACTOR`` (small classes weighted by their pupils), and
    never more than ``TEACHER_MAX_LOAD`` times the statutory load on average in the pool (hours taught,
    as the teaching assignments record them). The classes of a pool (sector, cycle family,
    subject group) are ordered by province, school and class and split into runs of about equal hours, one
    per teacher, as many teachers as the pool's hours fill (rounded, at least one): a teacher's service is
    filled in their own school and completed in the next school of the province ("complément de
    service"), so the number of teachers per pupil does not depend on the sample size.
    Secondary teachers complete their service across collège and lycée (``TEACHER_POOL_FAMILY``). The
    teacher's school (``teachers.school_code``) is their main school, where they teach the most hours.
    """
    cur = curriculum()
    item, entry = cur.expand(cur.ids(classes.level, classes.stream))
    school = classes.school[item]
    group = cur.group[entry]
    hours = cur.hours[entry]
    n_classes, n_groups = max(len(classes), 1), len(subjects())
    block_key = (school * n_groups + group) * n_classes + item
    blocks, block_of_row = np.unique(block_key, return_inverse=True)
    b_item = blocks % n_classes
    # a class smaller than the target size weighs in a teacher's load in proportion to its pupils: small
    # classes of small schools are taught together (multi-grade classes of rural schools)
    fill = np.minimum(1.0, class_pupils / class_size_target(registry, classes.school))
    block_hours = np.bincount(block_of_row, weights=hours * fill[item], minlength=len(blocks))
    block_taught = np.bincount(block_of_row, weights=hours, minlength=len(blocks))
    b_group = blocks // n_classes % n_groups
    b_school = blocks // n_classes // n_groups
    school_cycle = np.array(registry.cycle, dtype=np.int64)
    school_private = np.array(registry.private, dtype=np.int64)
    school_province = np.array(registry.province, dtype=np.int64)
    family = np.array([P.TEACHER_POOL_FAMILY[c] for c in cycles()], dtype=np.int64)[school_cycle]
    b_pool = (school_private[b_school] * (int(family.max(initial=0)) + 1) + family[b_school]) * n_groups
    b_pool = b_pool + b_group
    statutory = np.array([P.STATUTORY_HOURS[c] for c in cycles()])[school_cycle]
    capacity = statutory[b_school] * P.TEACHER_LOAD_FACTOR
    ceiling = statutory[b_school] * P.TEACHER_MAX_LOAD
    b_pool = _merge_small_pools(b_pool, n_groups, block_hours, capacity)
    order = np.lexsort((b_item, b_school, school_province[b_school], b_pool))
    teacher_sorted = _split_pools(
        b_pool[order], block_hours[order], capacity[order], block_taught[order], ceiling[order]
    )
    keys, teacher_of_block = _teacher_keys(
        teacher_sorted, order, b_school[order], b_group[order], block_taught[order], n_groups
    )
    teachers, teacher_codes = _teachers_frame(rng, pool, registry, keys, n_groups, statutory, school_year)
    school_codes = pl.Series(registry.code, dtype=pl.String)
    subject_codes = pl.Series(subjects(), dtype=pl.String)
    m = len(item)
    assignments = pl.DataFrame(
        {
            "school_year": pl.repeat(school_year, m, dtype=pl.String, eager=True),
            "region_code": pl.repeat(pool.region_code, m, dtype=pl.String, eager=True),
            "school_code": school_codes.gather(school),
            "teacher_code": teacher_codes.gather(teacher_of_block[block_of_row]),
            "class_code": classes.code.gather(item),
            "subject_code": subject_codes.gather(cur.subject[entry]),
            "weekly_hours": pl.Series(hours, dtype=pl.Float64),
        }
    )
    return teachers, assignments
