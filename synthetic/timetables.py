"""Weekly timetables: every session of the week of every class, with its subject, teacher and room.

The sessions of a week are the code_levels seed's ``sessions_per_day`` from Monday to Friday and half of
them on Saturday morning. A subject gets its weekly hours rounded to whole sessions (scaled down,
largest remainders first, when the curriculum holds more hours than the week has sessions); the
sessions are spread over the week in a random order. The teacher is the one of the class's teaching
assignment for that subject; the room is the class's home room, or the sports ground / lab.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from synthetic import parameters as P
from synthetic.curriculum import curriculum
from synthetic.reference import levels, subjects
from synthetic.schools import Classes


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


def _place(
    rng: np.random.Generator,
    classes: Classes,
    sizes: np.ndarray,
    sessions_per_day: np.ndarray,
    in_classroom: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weekday, session number and classroom (index, -1 for the lab / sports ground sessions) of each
    session; the sessions of a class are consecutive rows (``sizes`` per class, in class order).

    A school timetables its classes one after the other (in class order) and its classrooms are a
    shared pool: a class's classroom sessions go to the week's slots where the fewest of the school's
    classes are already in a classroom (ties at random), its lab and sports sessions and its free slots
    to the other slots. The class then keeps one classroom for the week where a room already in use is
    free at all its slots, otherwise takes the first free room slot by slot (a new room only at a slot
    where every room in use is taken). Two classes share a room only at slots where they do not
    overlap: a room never hosts two classes at once, and a school has as many classrooms in use as it
    has classes in a classroom at its busiest slot (secondary classes leave their room for the labs and
    the sports ground, and have free slots; a primary or preschool class fills its room's week).
    Double shifts (two groups of pupils taking turns in one room, half a day each) are not modelled:
    the week of a class fills the code_levels seed's ``sessions_per_day``, and the absences and roll calls
    follow the same day."""
    n = int(sizes.sum())
    weekday = np.zeros(n, dtype=np.int64)
    session = np.zeros(n, dtype=np.int64)
    room = np.full(n, -1, dtype=np.int64)
    first = np.cumsum(sizes) - sizes
    spd_values = set(sessions_per_day.tolist())
    tables = {s: np.array(week_slots(s), dtype=np.int64).reshape(-1, 2) for s in spd_values}
    n_slots = 7 * 9  # slot id = weekday * 9 + session (weekday 1-6, session 1-8)
    by_school = np.argsort(classes.school, kind="stable")
    bounds = np.flatnonzero(np.diff(classes.school[by_school])) + 1
    for members in np.split(by_school, bounds):
        demand = np.zeros(n_slots, dtype=np.int64)
        busy = np.zeros((n_slots, len(members)), dtype=bool)  # slot x room of the school
        for c in members.tolist():
            table = tables[int(sessions_per_day[classes.level[c]])]
            slot_id = table[:, 0] * 9 + table[:, 1]
            rows = np.arange(first[c], first[c] + sizes[c])
            inside = in_classroom[rows]
            # classroom sessions to the least busy slots, the others to the rest (random order)
            by_demand = np.lexsort((rng.random(len(slot_id)), demand[slot_id]))
            g = int(inside.sum())
            taken = np.concatenate([by_demand[:g], rng.permutation(by_demand[g:])])[: len(rows)]
            placed = np.empty(len(rows), dtype=np.int64)
            placed[np.flatnonzero(inside)] = taken[:g]
            placed[np.flatnonzero(~inside)] = taken[g:]
            weekday[rows], session[rows] = table[placed, 0], table[placed, 1]
            ids = slot_id[placed[inside]]
            demand[ids] += 1
            # a room already in use that is free at all its slots, else the first free room slot by slot
            # (a new room only at the slots where every room in use is taken)
            free_all = np.flatnonzero(~busy[ids].any(axis=0) & busy.any(axis=0))
            whole = len(free_all) > 0
            chosen = np.full(len(ids), free_all[0]) if whole else np.argmax(~busy[ids], axis=1)
            busy[ids, chosen] = True
            room[rows[inside]] = chosen
    return weekday, session, room


def timetables(
    rng: np.random.Generator,
    placement: np.random.Generator,
    classes: Classes,
    school_codes: pl.Series,
    assignments: pl.DataFrame,
    school_year: str,
    region_code: str,
) -> pl.DataFrame:
    """The timetables entity (typed). ``rng`` orders each class's sessions, ``placement`` lays out the
    week and the rooms (a stream of its own)."""
    cur, lv = curriculum(), levels()
    offsets, entries = _templates()
    ids = cur.ids(classes.level, classes.stream)
    sizes = np.diff(offsets)[ids]
    item = np.repeat(np.arange(len(ids)), sizes)
    within = np.arange(len(item)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    entry = entries[np.repeat(offsets[ids], sizes) + within]
    # a random week: the sessions of a class in random order
    order = np.lexsort((rng.random(len(item)), item))
    entry = entry[order]
    subject_names = pl.Series(subjects(), dtype=pl.String)
    subject_code = subject_names.gather(cur.subject[entry])
    special = subject_code.replace_strict(P.TIMETABLE_ROOM_OF_SUBJECT, default=None, return_dtype=pl.String)
    in_room = special.is_null().to_numpy()
    weekday, session, room = _place(placement, classes, sizes, lv.sessions_per_day, in_room)
    home = pl.Series([f"S{r + 1:02d}" if r >= 0 else None for r in room.tolist()], dtype=pl.String)
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
