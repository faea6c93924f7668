"""Teachers (persistent per school, subject group and slot) and their teaching assignments."""

from __future__ import annotations

import numpy as np
import polars as pl

from massar.synthetic import codes, names
from massar.synthetic import parameters as P
from massar.synthetic.curriculum import curriculum
from massar.synthetic.reference import cycles, subjects
from massar.synthetic.schools import Classes, SchoolRegistry

_SLOTS = 1000


class TeacherPool:
    """The teachers of a region. A teacher is identified by (school, subject group, slot) for ever."""

    def __init__(self, region_code: str) -> None:
        self.region_code = region_code
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
                self.number.append(row)
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


def _greedy_slots(group: np.ndarray, hours: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Teacher slot of each block (blocks sorted by group): a teacher takes blocks while they fit."""
    slot = np.zeros(len(group), dtype=np.int64)
    current, load, previous = 0, 0.0, None
    for i, (g, h, cap) in enumerate(zip(group.tolist(), hours.tolist(), capacity.tolist(), strict=True)):
        if g != previous:
            current, load, previous = 0, 0.0, g
        elif load + h > cap + 1e-9:
            current, load = current + 1, 0.0
        load += h
        slot[i] = current
    return slot


def staff(
    rng: np.random.Generator,
    classes: Classes,
    registry: SchoolRegistry,
    pool: TeacherPool,
    school_year: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Teachers and teaching assignments (typed frames) for the year's classes.

    Within a school and subject group, classes are handed out in class order: a teacher takes whole
    classes as long as they fit in the statutory load, then the next teacher starts.
    """
    cur = curriculum()
    item, entry = cur.expand(cur.ids(classes.level, classes.stream))
    school = classes.school[item]
    group = cur.group[entry]
    hours = cur.hours[entry]
    n_classes, n_groups = max(len(classes), 1), len(subjects())
    block_key = (school * n_groups + group) * n_classes + item
    blocks, block_of_row = np.unique(block_key, return_inverse=True)
    block_hours = np.bincount(block_of_row, weights=hours, minlength=len(blocks))
    b_sg = blocks // n_classes  # school * n_groups + group
    b_school = b_sg // n_groups
    statutory = np.array([P.STATUTORY_HOURS[c] for c in cycles()])[np.array(registry.cycle, dtype=np.int64)]
    slot = _greedy_slots(b_sg, block_hours, statutory[b_school] * P.TEACHER_LOAD_FACTOR)
    teacher_key = b_sg * _SLOTS + slot
    keys, teacher_of_block = np.unique(teacher_key, return_inverse=True)
    k_school = keys // _SLOTS // n_groups
    k_group = keys // _SLOTS % n_groups
    female_share = (
        np.array([P.TEACHER_FEMALE_SHARE[c] for c in cycles()])[
            np.array(registry.cycle, dtype=np.int64)[k_school]
        ]
        if len(keys)
        else np.array([])
    )
    rows = pool.resolve(rng, keys, female_share)
    teacher_codes = pool.codes(rows)
    school_codes = pl.Series(registry.code, dtype=pl.String)
    subject_codes = pl.Series(subjects(), dtype=pl.String)
    first, last = pool.names_fr(rows)
    n = len(keys)
    teachers = pl.DataFrame(
        {
            "school_year": pl.Series([school_year] * n, dtype=pl.String),
            "region_code": pl.Series([pool.region_code] * n, dtype=pl.String),
            "teacher_code": teacher_codes,
            "school_code": school_codes.gather(k_school),
            "last_name_fr": pl.Series(last, dtype=pl.String),
            "first_name_fr": pl.Series(first, dtype=pl.String),
            "sex": pl.Series(np.where(np.array(pool.female, dtype=bool)[rows], "F", "M"), dtype=pl.String)
            if n
            else pl.Series([], dtype=pl.String),
            "subject_code": subject_codes.gather(k_group),
            "statutory_hours": pl.Series(statutory[k_school], dtype=pl.Int64),
        }
    )
    m = len(item)
    assignments = pl.DataFrame(
        {
            "school_year": pl.Series([school_year] * m, dtype=pl.String),
            "region_code": pl.Series([pool.region_code] * m, dtype=pl.String),
            "school_code": school_codes.gather(school),
            "teacher_code": teacher_codes.gather(teacher_of_block[block_of_row]),
            "class_code": classes.code.gather(item),
            "subject_code": subject_codes.gather(cur.subject[entry]),
            "weekly_hours": pl.Series(hours, dtype=pl.Float64),
        }
    )
    return teachers, assignments
