"""Enrollment movements during a school year: start, transfers between schools, dropouts.

A pupil's year is cut into *stints*: the days spent in one class. Everyone has a first stint from
the enrollment date; a transfer ends it (``transfer_out``) and opens a second one in another school
of the region (``transfer_in``, the same day or a few school days later); a dropout ends it for good.
Absences and tests are generated only inside stints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic import parameters as P
from synthetic.population import Pupils
from synthetic.reference import cycles, levels
from synthetic.schools import Classes, SchoolRegistry

NONE = -1


@dataclass
class Movements:
    start: np.ndarray  # day index of the first enrollment event
    dropout: np.ndarray  # day index of the dropout, or NONE
    transfer_out: np.ndarray  # day index, or NONE
    transfer_in: np.ndarray  # day index, or NONE
    dest_class: np.ndarray  # class index after the transfer, or NONE
    final_school: np.ndarray  # school at the end of the year (or at dropout)


@dataclass
class Stints:
    pupil: np.ndarray
    klass: np.ndarray
    school: np.ndarray
    start: np.ndarray  # first day index, inclusive
    end: np.ndarray  # day index, exclusive


def movements(
    rng: np.random.Generator,
    pupils: Pupils,
    pupil_class: np.ndarray,
    classes: Classes,
    registry: SchoolRegistry,
    n_days: int,
) -> Movements:
    n = len(pupils)
    late = rng.random(n) < P.LATE_START_SHARE
    start = np.where(late, rng.integers(1, P.LATE_START_DAYS + 1, n), 0)

    school = pupils.school
    rural = np.array(registry.rural, dtype=bool)[school] if n else np.zeros(0, dtype=bool)
    rate = np.array([P.DROPOUT_RATE[c] for c in cycles()])[pupils.cycle_index()]
    rate = rate * np.where(pupils.female, P.DROPOUT_FACTOR_GIRL, P.DROPOUT_FACTOR_BOY)
    rate = rate * np.where(rural, P.DROPOUT_FACTOR_RURAL, P.DROPOUT_FACTOR_URBAN)
    drops = rng.random(n) < rate
    low = np.minimum(start + 5, n_days - 11)
    dropout = np.where(drops, low + np.floor(rng.random(n) * (n_days - 10 - low)).astype(np.int64), NONE)

    moves = (~drops) & (rng.random(n) < P.TRANSFER_RATE)
    out_day = np.maximum(start + 10, 15) + np.floor(rng.random(n) * (0.75 * n_days - 25)).astype(np.int64)
    in_day = np.minimum(out_day + rng.integers(0, 6, n), n_days - 1)
    dest = np.full(n, NONE, dtype=np.int64)
    by_kind: dict[tuple[int, int], np.ndarray] = {}
    for i in np.flatnonzero(moves).tolist():
        kind = (int(pupils.level[i]), int(pupils.stream[i]))
        if kind not in by_kind:
            by_kind[kind] = np.flatnonzero((classes.level == kind[0]) & (classes.stream == kind[1]))
        candidates = by_kind[kind][classes.school[by_kind[kind]] != school[i]]
        if len(candidates):
            dest[i] = candidates[rng.integers(len(candidates))]
    moved = dest != NONE
    return Movements(
        start=start,
        dropout=dropout,
        transfer_out=np.where(moved, out_day, NONE),
        transfer_in=np.where(moved, in_day, NONE),
        dest_class=dest,
        final_school=np.where(moved, classes.school[np.maximum(dest, 0)], school),
    )


def stints(m: Movements, pupil_class: np.ndarray, classes: Classes, n_days: int) -> Stints:
    n = len(pupil_class)
    first_end = np.where(
        m.transfer_out != NONE, m.transfer_out, np.where(m.dropout != NONE, m.dropout, n_days)
    )
    moved = np.flatnonzero(m.dest_class != NONE)
    pupil = np.concatenate([np.arange(n), moved])
    klass = np.concatenate([pupil_class, m.dest_class[moved]])
    return Stints(
        pupil=pupil,
        klass=klass,
        school=classes.school[klass],
        start=np.concatenate([m.start, m.transfer_in[moved]]),
        end=np.concatenate([first_end, np.full(len(moved), n_days)]),
    )


def enrollment_frame(
    pupils: Pupils,
    pupil_class: np.ndarray,
    m: Movements,
    classes: Classes,
    registry: SchoolRegistry,
    student_codes: pl.Series,
    days: pl.Series,
    school_year: str,
    region_code: str,
) -> pl.DataFrame:
    """The enrollments entity (typed): one row per movement."""
    n = len(pupils)
    all_pupils = np.arange(n)
    out_rows = np.flatnonzero(m.transfer_out != NONE)
    drop_rows = np.flatnonzero(m.dropout != NONE)
    event_names = ["entry", "re_enrollment", "transfer_out", "transfer_in", "dropout"]
    pupil = np.concatenate([all_pupils, out_rows, out_rows, drop_rows])
    klass = np.concatenate(
        [pupil_class, pupil_class[out_rows], m.dest_class[out_rows], pupil_class[drop_rows]]
    )
    event = np.concatenate(
        [
            np.where(pupils.new, 0, 1),
            np.full(len(out_rows), 2),
            np.full(len(out_rows), 3),
            np.full(len(drop_rows), 4),
        ]
    )
    day = np.concatenate([m.start, m.transfer_out[out_rows], m.transfer_in[out_rows], m.dropout[drop_rows]])
    # a movement log: by date, then event (a same-day transfer_out before its transfer_in), class, pupil
    order = np.lexsort((pupil, klass, event, day))
    pupil, klass, event, day = pupil[order], klass[order], event[order], day[order]
    rows = len(pupil)
    return pl.DataFrame(
        {
            "school_year": pl.Series([school_year] * rows, dtype=pl.String),
            "region_code": pl.Series([region_code] * rows, dtype=pl.String),
            "school_code": pl.Series(registry.code, dtype=pl.String).gather(classes.school[klass]),
            "class_code": classes.code.gather(klass),
            "student_code": student_codes.gather(pupil),
            "level_code": pl.Series(levels().codes, dtype=pl.String).gather(pupils.level[pupil]),
            "event_type": pl.Series(event_names, dtype=pl.String).gather(event),
            "event_date": days.gather(day),
        }
    )
