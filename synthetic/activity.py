"""What happens in class: absences (one row per missed session) and grades (one row per test)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic import parameters as P
from synthetic.curriculum import curriculum
from synthetic.enrollment import Stints
from synthetic.population import Pupils
from synthetic.reference import absence_reasons, check_codes, cycles, levels, subjects
from synthetic.schools import Classes, SchoolRegistry

# (semester, assessment type) of the tests of a subject in a year, in date order.
TEST_SLOTS: tuple[tuple[int, str], ...] = tuple((s, a) for s in (1, 2) for a in P.ASSESSMENT_WINDOWS)


@dataclass
class YearContext:
    """What the activity generators share for one region and school year."""

    school_year: str
    region_code: str
    days: np.ndarray  # datetime64[D], the school days
    day_series: pl.Series  # the same, as a polars Date series (for gathering)
    second_semester: int  # index of the first school day of semester 2
    student_codes: pl.Series  # per pupil
    class_codes: pl.Series  # per class
    school_codes: pl.Series  # per school

    @property
    def n_days(self) -> int:
        return len(self.days)


def daily_absence_probability(pupils: Pupils, registry: SchoolRegistry, school: np.ndarray) -> np.ndarray:
    """Per pupil: probability of missing at least one session on a school day (lognormal, heavy tail)."""
    median = np.array([P.ABSENCE_DAILY_MEDIAN[c] for c in cycles()])[pupils.cycle_index()]
    rural = np.array(registry.rural, dtype=bool)[school] if len(school) else np.zeros(0, dtype=bool)
    p = median * np.exp(P.ABSENCE_SIGMA * pupils.absence_z)
    p = p * np.where(rural, P.ABSENCE_FACTOR_RURAL, 1.0) * np.where(pupils.female, 1.0, P.ABSENCE_FACTOR_BOY)
    return np.minimum(p, P.ABSENCE_MAX_DAILY)


def day_weights(days: np.ndarray) -> np.ndarray:
    """Weight of each school day in the draw of absent days: [urban, rural] x day, mean 1 over the year."""
    d = days.astype("datetime64[D]")
    weekday = (d.view("int64") + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    gap_after = np.diff(d.view("int64"), append=d.view("int64")[-1:] + 1) if len(d) else np.zeros(0, int)
    gap_before = np.diff(d.view("int64"), prepend=d.view("int64")[:1] - 1) if len(d) else np.zeros(0, int)
    # a break or holiday ahead of / behind a day: more than a Sunday between two school days
    long_after = np.convolve((gap_after > 2) | ((gap_after > 1) & (weekday != 5)), [1, 1], mode="full")[1:]
    long_before = np.convolve((gap_before > 2) | ((gap_before > 1) & (weekday != 0)), [1, 1], mode="full")[
        :-1
    ]
    base = np.where(weekday == 4, P.ABSENCE_WEIGHT_FRIDAY, 1.0)
    base = base * np.where((long_after > 0) | (long_before > 0), P.ABSENCE_WEIGHT_AROUND_HOLIDAY, 1.0)
    winter = np.isin(month, P.ABSENCE_WINTER_MONTHS)
    rural = base * np.where(winter, P.ABSENCE_WEIGHT_RURAL_WINTER, 1.0)
    out = np.vstack([base, rural])
    return out / out.mean(axis=1, keepdims=True) if len(d) else out


def _pick(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    p = np.array(list(shares.values()))
    return rng.choice(len(p), size=size, p=p / p.sum())


def _absence_days(
    rng: np.random.Generator,
    ctx: YearContext,
    st: Stints,
    registry: SchoolRegistry,
    p_daily: np.ndarray,
    silent: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(stint, day)`` of each day of absence: drawn within the stint in proportion to the day weights of
    the school's area, at most one per stint and day (sorted), none on a ``silent`` class day."""
    n_days = ctx.n_days
    length = np.maximum(st.end - st.start, 0)
    k = rng.binomial(length, p_daily[st.pupil])
    rep = np.repeat(np.arange(len(length)), k)
    weights = day_weights(ctx.days)
    cum = np.concatenate([np.zeros((2, 1)), np.cumsum(weights, axis=1)], axis=1)
    area = np.array(registry.rural, dtype=np.int64)[st.school[rep]] if len(registry) else np.zeros(0, int)
    lo, hi = cum[area, st.start[rep]], cum[area, st.end[rep]]
    target = lo + rng.random(len(rep)) * (hi - lo)
    day = np.empty(len(rep), dtype=np.int64)
    for a in (0, 1):
        sel = area == a
        day[sel] = np.searchsorted(cum[a], target[sel], side="right") - 1
    day = np.clip(day, st.start[rep], np.maximum(st.end[rep] - 1, st.start[rep]))
    key = np.unique(rep * n_days + day)  # one draw per stint and day, sorted
    rep, day = key // n_days, key % n_days
    # no absence where no roll call was taken (the school's or the class's silent days)
    keep = ~silent[st.klass[rep], day]
    return rep[keep], day[keep]


def _absent_sessions(
    rng: np.random.Generator, ctx: YearContext, pupils: Pupils, pupil: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per day of absence: the session where the absence starts, the number of sessions missed (a full
    day, a half day, or one or two sessions; Saturdays hold the morning only), whether it is justified,
    and the reason (an index into the justified reasons followed by the unjustified ones)."""
    spd = levels().sessions_per_day[pupils.level[pupil]]
    saturday = ctx.days.astype("datetime64[D]").view("int64")[day] % 7 == 2  # 1970-01-01 was a Thursday
    held = np.where(saturday, spd // 2, spd)
    half = spd // 2
    pattern = _pick(rng, P.ABSENCE_PATTERN, len(day))  # 0 full, 1 half, 2 one or two sessions
    morning = rng.random(len(day)) < 0.5
    count_sessions = np.minimum(rng.integers(1, 3, len(day)), held)
    first = np.where(
        pattern == 0,
        1,
        np.where(
            pattern == 1,
            np.where(morning | saturday, 1, half + 1),
            1 + np.floor(rng.random(len(day)) * (held - count_sessions + 1)).astype(np.int64),
        ),
    )
    count = np.where(
        pattern == 0, held, np.where(pattern == 1, np.where(saturday, held, half), count_sessions)
    )
    justified = rng.random(len(day)) < P.JUSTIFIED_SHARE
    reason = np.where(
        justified,
        _pick(rng, P.JUSTIFIED_REASONS, len(day)),
        len(P.JUSTIFIED_REASONS) + _pick(rng, P.UNJUSTIFIED_REASONS, len(day)),
    )
    return first, count, justified, reason


def absences(
    rng: np.random.Generator,
    ctx: YearContext,
    pupils: Pupils,
    st: Stints,
    classes: Classes,
    registry: SchoolRegistry,
    p_daily: np.ndarray,
    silent: np.ndarray,
) -> pl.DataFrame:
    """The absences entity (typed). ``silent`` (class x school day, see :func:`silent_class_days`): the
    days a class took no roll call, on which it records no absence either."""
    check_codes(list(P.JUSTIFIED_REASONS), "code_absence_reasons")
    check_codes(list(P.UNJUSTIFIED_REASONS), "code_absence_reasons")
    if set(P.JUSTIFIED_REASONS) - set(absence_reasons(True)):
        raise ValueError("JUSTIFIED_REASONS must be justifiable reasons of the seed")
    n_days = ctx.n_days
    rep, day = _absence_days(rng, ctx, st, registry, p_daily, silent)
    pupil = st.pupil[rep]
    first, count, justified, reason = _absent_sessions(rng, ctx, pupils, pupil, day)
    unjust_codes = [c or None for c in P.UNJUSTIFIED_REASONS]
    reason_codes = pl.Series([*P.JUSTIFIED_REASONS, *unjust_codes], dtype=pl.String)

    row_day = np.repeat(np.arange(len(day)), count)
    session = first[row_day] + np.arange(len(row_day)) - np.repeat(np.cumsum(count) - count, count)
    klass = st.klass[rep][row_day]
    # sort by (class, day, pupil, session) with one int64 key (unique per row): faster than lexsort
    max_session = int(session.max(initial=0)) + 1
    sort_key = (
        (klass * n_days + day[row_day]) * max(len(pupils), 1) + pupil[row_day]
    ) * max_session + session
    order = np.argsort(sort_key, kind="stable")
    row_day, session, klass = row_day[order], session[order], klass[order]
    n = len(row_day)
    return pl.DataFrame(
        {
            "school_year": pl.repeat(ctx.school_year, n, dtype=pl.String, eager=True),
            "region_code": pl.repeat(ctx.region_code, n, dtype=pl.String, eager=True),
            "school_code": ctx.school_codes.gather(classes.school[klass]),
            "class_code": ctx.class_codes.gather(klass),
            "student_code": ctx.student_codes.gather(pupil[row_day]),
            "absence_date": ctx.day_series.gather(day[row_day]),
            "session_number": pl.Series(session, dtype=pl.Int64),
            "justified": pl.Series(justified[row_day], dtype=pl.Boolean),
            "reason_code": reason_codes.gather(reason[row_day]),
        }
    )


def silent_class_days(
    rng: np.random.Generator, ctx: YearContext, classes: Classes, registry: SchoolRegistry
) -> np.ndarray:
    """Per class and school day: True when the class takes no roll call that day.

    Two behaviours of the source: some schools record nothing on some days (the school's recording gap,
    every class of the school silent), and some class teachers skip a day while the rest of the school
    records (``P.RECORDING_GAP_CLASS``). Drawn from a stream spawned from ``rng``, so that the other
    draws of the year are unchanged.
    """
    sub = rng.spawn(1)[0]
    n_days = ctx.n_days
    gap = np.array(registry.recording_gap)[:, None] if len(registry) else np.zeros((0, 1))
    school_silent = sub.random((len(registry), n_days)) < gap
    class_silent = sub.random((len(classes), n_days)) < P.RECORDING_GAP_CLASS
    return school_silent[classes.school] | class_silent


def roll_calls(ctx: YearContext, st: Stints, classes: Classes, silent: np.ndarray) -> pl.DataFrame:
    """The roll_calls entity (typed): one row per class, school day and half-day held, for the class
    days with at least one pupil enrolled and not ``silent``. Saturdays hold the morning only (as the
    absences' sessions do)."""
    n_days = ctx.n_days
    occupancy = np.zeros((len(classes), n_days + 1), dtype=np.int32)
    np.add.at(occupancy, (st.klass, st.start), 1)
    np.add.at(occupancy, (st.klass, np.minimum(st.end, n_days)), -1)
    taken = (np.cumsum(occupancy, axis=1)[:, :n_days] > 0) & ~silent
    klass, day = np.nonzero(taken)  # sorted by class, then day
    saturday = ctx.days.astype("datetime64[D]").view("int64")[day] % 7 == 2  # 1970-01-01 was a Thursday
    halves = np.where(saturday, 1, 2)
    row = np.repeat(np.arange(len(day)), halves)
    half = np.arange(len(row)) - np.repeat(np.cumsum(halves) - halves, halves) + 1
    n = len(row)
    return pl.DataFrame(
        {
            "school_year": pl.repeat(ctx.school_year, n, dtype=pl.String, eager=True),
            "region_code": pl.repeat(ctx.region_code, n, dtype=pl.String, eager=True),
            "school_code": ctx.school_codes.gather(classes.school[klass[row]]),
            "class_code": ctx.class_codes.gather(klass[row]),
            "roll_call_date": ctx.day_series.gather(day[row]),
            "half_day": pl.Series(half, dtype=pl.Int64),
        }
    )


def _test_days(
    rng: np.random.Generator, ctx: YearContext, classes: Classes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The test dates per class, subject and slot: ``(class_entry, class_first_row, test_day)``, with
    ``test_day[row * n_slots + slot]`` for the curriculum row ``row`` (``class_first_row[class] + pos``)."""
    cur = curriculum()
    n_slots = len(TEST_SLOTS)
    class_item, class_entry = cur.expand(cur.ids(classes.level, classes.stream))
    class_first_row = np.concatenate([[0], np.cumsum(cur.sizes()[cur.ids(classes.level, classes.stream)])])
    windows = np.array([P.ASSESSMENT_WINDOWS[a] for _, a in TEST_SLOTS])
    sem_lo = np.array([0 if s == 1 else ctx.second_semester for s, _ in TEST_SLOTS])
    sem_len = np.array(
        [ctx.second_semester if s == 1 else ctx.n_days - ctx.second_semester for s, _ in TEST_SLOTS]
    )
    u = rng.random((len(class_item), n_slots))
    frac = windows[:, 0] + u * (windows[:, 1] - windows[:, 0])
    test_day = (sem_lo + np.floor(frac * sem_len)).astype(np.int64).ravel()
    return class_entry, class_first_row, test_day


def _tests_taken(
    pupils: Pupils, st: Stints, classes: Classes, class_first_row: np.ndarray, test_day: np.ndarray
) -> tuple[np.ndarray, ...]:
    """``(pos, slot, klass, row, day, pupil)`` of each test taken: every stint of a graded pupil x subject
    x slot held while the stint lasts (S2 has no unified test in the final year of a cycle); a pupil who
    changed class mid-year keeps the test taken in the first class."""
    lv, cur = levels(), curriculum()
    n_slots = len(TEST_SLOTS)
    graded_level = np.array([c in P.GRADED_CYCLES for c in lv.cycles])
    slot_allowed = np.ones((len(lv.codes), n_slots), dtype=bool)
    for j, (semester, kind) in enumerate(TEST_SLOTS):
        if semester == 2 and kind == "UNI":
            slot_allowed[:, j] = ~lv.final_of_cycle
    graded = graded_level[classes.level[st.klass]]
    stint = np.flatnonzero(graded)
    size = cur.sizes()[cur.ids(classes.level[st.klass[stint]], classes.stream[st.klass[stint]])] * n_slots
    rep = np.repeat(stint, size)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(size) - size, size)
    pos, slot = within // n_slots, within % n_slots
    klass = st.klass[rep]
    row = class_first_row[klass] + pos
    day = test_day[row * n_slots + slot]
    keep = slot_allowed[classes.level[klass], slot] & (day >= st.start[rep]) & (day < st.end[rep])
    rep, pos, slot, klass, row, day = rep[keep], pos[keep], slot[keep], klass[keep], row[keep], day[keep]
    pupil = st.pupil[rep]
    max_pos = int(cur.sizes().max())
    test_key = (pupil * max_pos + pos) * n_slots + slot
    first_stint = rep < len(pupils)
    dup = np.zeros(len(rep), dtype=bool)
    second = np.flatnonzero(~first_stint)
    if len(second):  # only the pupils who moved have tests in two classes
        moved = np.zeros(len(pupils), dtype=bool)
        moved[pupil[second]] = True
        dup[second] = np.isin(test_key[second], test_key[first_stint & moved[pupil]])
    return tuple(a[~dup] for a in (pos, slot, klass, row, day, pupil))


def _grade_values(
    rng: np.random.Generator,
    pupils: Pupils,
    classes: Classes,
    registry: SchoolRegistry,
    tests: tuple[np.ndarray, ...],
    subject: np.ndarray,
) -> np.ndarray:
    """The mark of each test (0 to 20, one decimal): ability, school effect, subject and cycle shifts, the
    pupil's level in the subject, unified tests' shift and noise."""
    pos, slot, klass, _, _, pupil = tests
    max_pos = int(curriculum().sizes().max())
    subject_shift = np.array([P.GRADE_SUBJECT_SHIFT.get(s, 0.0) for s in subjects()])
    cycle_shift = np.array([P.GRADE_CYCLE_SHIFT.get(c, 0.0) for c in cycles()])
    unified = np.array([a == "UNI" for _, a in TEST_SLOTS])
    pupil_subject = rng.standard_normal((len(pupils), max_pos)) * P.GRADE_PUPIL_SUBJECT_SD
    value = (
        P.GRADE_MEAN
        + P.GRADE_ABILITY_SD * pupils.ability[pupil]
        + np.array(registry.effect)[classes.school[klass]]
        + subject_shift[subject]
        + cycle_shift[pupils.cycle_index()[pupil]]
        + pupil_subject[pupil, pos]
        + P.GRADE_UNIFIED_SHIFT * unified[slot]
        + rng.normal(0.0, P.GRADE_NOISE_SD, len(pupil))
    )
    return np.round(np.clip(value, 0.0, 20.0), 1)


def _missed_codes(
    rng: np.random.Generator, pupils: Pupils, pupil: np.ndarray, subject: np.ndarray, p_daily: np.ndarray
) -> np.ndarray:
    """Per test: 0 missed and justified (ABJ), 1 missed (ABN), 2 dispensed from EPS (DIS), 3 graded."""
    p_missed = np.minimum(P.MISSED_BASE + P.MISSED_PER_ABSENCE * p_daily[pupil], P.MISSED_MAX)
    missed = rng.random(len(pupil)) < p_missed
    missed_code = np.where(rng.random(len(pupil)) < P.MISSED_JUSTIFIED_SHARE, 0, 1)  # ABJ, ABN
    exempt = rng.random(len(pupils)) < P.EPS_EXEMPT_SHARE
    dispensed = exempt[pupil] & (subject == subjects().index("EPS"))
    return np.where(dispensed, 2, np.where(missed, missed_code, 3))


def grades(
    rng: np.random.Generator,
    ctx: YearContext,
    pupils: Pupils,
    st: Stints,
    classes: Classes,
    registry: SchoolRegistry,
    p_daily: np.ndarray,
) -> tuple[pl.DataFrame, np.ndarray]:
    """The grades entity (typed) and each pupil's mean grade of the year (NaN when never graded)."""
    check_codes(["ABJ", "ABN", "DIS"], "code_missed_test_codes")
    check_codes([a for _, a in TEST_SLOTS], "code_assessment_types")
    n_slots = len(TEST_SLOTS)
    class_entry, class_first_row, test_day = _test_days(rng, ctx, classes)
    tests = _tests_taken(pupils, st, classes, class_first_row, test_day)
    pos, slot, klass, row, day, pupil = tests
    subject = curriculum().subject[class_entry[row]]
    value = _grade_values(rng, pupils, classes, registry, tests, subject)
    missed_code = _missed_codes(rng, pupils, pupil, subject, p_daily)
    has_grade = missed_code == 3

    sums = np.bincount(pupil[has_grade], weights=value[has_grade], minlength=len(pupils))
    counts = np.bincount(pupil[has_grade], minlength=len(pupils))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_grade = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    # sort by (class, subject position, slot, pupil): one int64 key (unique per row) sorts faster than lexsort
    max_pos = int(curriculum().sizes().max())
    order = np.argsort(
        ((klass * max_pos + pos) * n_slots + slot) * max(len(pupils), 1) + pupil, kind="stable"
    )
    pupil, slot, klass, day, subject, value, missed_code, has_grade = (
        a[order] for a in (pupil, slot, klass, day, subject, value, missed_code, has_grade)
    )
    n = len(pupil)
    return (
        pl.DataFrame(
            {
                "school_year": pl.repeat(ctx.school_year, n, dtype=pl.String, eager=True),
                "region_code": pl.repeat(ctx.region_code, n, dtype=pl.String, eager=True),
                "school_code": ctx.school_codes.gather(classes.school[klass]),
                "class_code": ctx.class_codes.gather(klass),
                "student_code": ctx.student_codes.gather(pupil),
                "subject_code": pl.Series(subjects(), dtype=pl.String).gather(subject),
                "semester": pl.Series(np.array([s for s, _ in TEST_SLOTS])[slot], dtype=pl.Int64),
                "assessment_type": pl.Series([a for _, a in TEST_SLOTS], dtype=pl.String).gather(slot),
                "assessment_date": ctx.day_series.gather(day),
                "grade": pl.Series(np.where(has_grade, value, np.nan), dtype=pl.Float64).fill_nan(None),
                "missed_code": pl.Series(["ABJ", "ABN", "DIS", None], dtype=pl.String).gather(missed_code),
            }
        ),
        mean_grade,
    )
