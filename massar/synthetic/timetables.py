"""Weekly timetables: every session of the week of every class, with its subject, teacher and room.

The sessions of a week are the levels seed's ``sessions_per_day`` from Monday to Friday and half of
them on Saturday morning. A subject gets its weekly hours rounded to whole sessions (scaled down,
largest remainders first, when the curriculum holds more hours than the week has sessions); the
sessions are spread over the week in a random order. The teacher is the one of the class's teaching
assignment for that subject; the room is the class's home room, or the sports ground / lab.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from massar.synthetic import parameters as P
from massar.synthetic.curriculum import curriculum
from massar.synthetic.reference import levels, subjects
from massar.synthetic.schools import Classes


def week_slots(sessions_per_day: int) -> list[tuple[int, int]]:
    """(ISO weekday, session number) of the sessions of a week."""
    days = [(wd, s) for wd in range(1, 6) for s in range(1, sessions_per_day + 1)]
    return days + [(6, s) for s in range(1, sessions_per_day // 2 + 1)]


def _sessions(hours: np.ndarray, available: int) -> np.ndarray:
    """Whole sessions per subject: hours rounded half up, cut down to ``available`` by largest remainder."""
    whole = np.floor(hours + 0.5).astype(np.int64)
    if whole.sum() <= available:
        return whole
    share = hours * available / hours.sum()
    out = np.floor(share).astype(np.int64)
    rest = available - int(out.sum())
    out[np.argsort(-(share - out), kind="stable")[:rest]] += 1
    return out


@cache
def _templates() -> tuple[np.ndarray, np.ndarray]:
    """Per curriculum: offsets into a flat list of curriculum entries, one per session of the week."""
    cur, lv = curriculum(), levels()
    level_of = np.full(len(cur.offsets) - 1, -1)
    for lvl in range(len(lv.codes)):
        for k in cur.table[lvl]:
            if k >= 0:
                level_of[k] = lvl
    offsets, entries = [0], []
    for k in range(len(cur.offsets) - 1):
        lo, hi = cur.offsets[k], cur.offsets[k + 1]
        n = _sessions(cur.hours[lo:hi], len(week_slots(int(lv.sessions_per_day[level_of[k]]))))
        entries.extend(np.repeat(np.arange(lo, hi), n).tolist())
        offsets.append(len(entries))
    return np.array(offsets), np.array(entries, dtype=np.int64)


def timetables(
    rng: np.random.Generator,
    classes: Classes,
    school_codes: pl.Series,
    assignments: pl.DataFrame,
    school_year: str,
    region_code: str,
) -> pl.DataFrame:
    """The timetables entity (typed)."""
    cur, lv = curriculum(), levels()
    offsets, entries = _templates()
    ids = cur.ids(classes.level, classes.stream)
    sizes = np.diff(offsets)[ids]
    item = np.repeat(np.arange(len(ids)), sizes)
    within = np.arange(len(item)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    entry = entries[np.repeat(offsets[ids], sizes) + within]
    # a random week: the sessions of a class in random order fill its slots in week order
    order = np.lexsort((rng.random(len(item)), item))
    entry = entry[order]
    spd_values = sorted(set(lv.sessions_per_day.tolist()))
    slot_table = {s: np.array(week_slots(s), dtype=np.int64).reshape(-1, 2) for s in spd_values}
    spd = lv.sessions_per_day[classes.level[item]]
    weekday = np.zeros(len(item), dtype=np.int64)
    session = np.zeros(len(item), dtype=np.int64)
    for s, table in slot_table.items():
        sel = spd == s
        weekday[sel] = table[within[sel], 0]
        session[sel] = table[within[sel], 1]
    # home room: the class's rank in its school
    by_school = np.argsort(classes.school, kind="stable")
    rank = np.empty(len(classes), dtype=np.int64)
    sorted_school = classes.school[by_school]
    first = np.searchsorted(sorted_school, sorted_school, side="left")
    rank[by_school] = np.arange(len(classes)) - first
    subject_names = pl.Series(subjects(), dtype=pl.String)
    subject_code = subject_names.gather(cur.subject[entry])
    home = pl.Series([f"S{r + 1:02d}" for r in rank.tolist()], dtype=pl.String).gather(item)
    special = subject_code.replace_strict(P.TIMETABLE_ROOM_OF_SUBJECT, default=None, return_dtype=pl.String)
    n = len(item)
    frame = pl.DataFrame(
        {
            "school_year": pl.repeat(school_year, n, dtype=pl.String, eager=True),
            "region_code": pl.repeat(region_code, n, dtype=pl.String, eager=True),
            "school_code": school_codes.gather(classes.school[item]),
            "class_code": classes.code.gather(item),
            "weekday": pl.Series(weekday, dtype=pl.Int64),
            "session_number": pl.Series(session, dtype=pl.Int64),
            "subject_code": subject_code,
            "classroom_code": special.fill_null(home),
        }
    )
    teacher = assignments.select("class_code", "subject_code", "teacher_code").unique(
        ["class_code", "subject_code"], keep="first", maintain_order=True
    )
    frame = frame.join(teacher, on=["class_code", "subject_code"], how="left", maintain_order="left")
    return frame.select(
        "school_year", "region_code", "school_code", "class_code", "weekday", "session_number",
        "subject_code", "teacher_code", "classroom_code",
    ).sort("class_code", "weekday", "session_number")  # fmt: skip
