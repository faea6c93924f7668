"""Certificate exam results: 3AC regional exam, bac regional (1BAC) and national (2BAC) exams.

Candidates are the pupils still enrolled at the end of the year in 3AC, 1BAC and 2BAC, at their final
school. Every exam has a June normal session; BAC_NAT also has the July resit, sat by the candidates
whose normal-session mean is below 10. Marks depend on the pupil's persistent ability (standardised
among the region's candidates) and on sex. The national marks are shifted, per sex, so that the share
of present candidates whose normal-session mean reaches 10 is the 2024 rate of that sex (see
parameters.BAC_PASS_RATE_NORMAL), within one candidate, whatever the number of candidates.

The bac also counts the 1BAC regional exam, sat the year before. In the first exported year that exam
is in no export, so the file carries it for every 2BAC candidate, as Massar keeps it on the candidate's
record: BAC_REG rows of the pupil's 1BAC stream with ``exam_year`` the previous school year (dates in
that year, the school the pupil is in now). Later years find it in the previous year's export.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from synthetic import parameters as P
from synthetic.calendar import first_year_of, holidays, school_year_label
from synthetic.curriculum import curriculum
from synthetic.enrollment import NONE, Movements
from synthetic.population import Pupils
from synthetic.reference import check_codes, levels, streams, subjects

EXAM_LEVEL = {"3AC_REG": "3AC", "BAC_REG": "1BAC", "BAC_NAT": "2BAC"}
_COLUMNS = ("exam", "session", "pupil", "subject", "day", "grade", "missed", "carried")


def exam_dates(school_year: str, exam: str, session: str, count: int) -> list[date]:
    """``count`` consecutive exam days from the exam's start: Sundays and holidays skipped."""
    month, day = P.EXAM_START[(exam, session)]
    d = date(first_year_of(school_year) + 1, month, day)
    off = holidays(school_year)
    out: list[date] = []
    while len(out) < count:
        if d.weekday() != 6 and d not in off:
            out.append(d)
        d += timedelta(days=1)
    return out


def _subjects_of(exam: str, level: int, stream: int) -> list[int]:
    cur = curriculum()
    cid = int(cur.ids(np.array([level]), np.array([stream]))[0])
    have = [subjects()[s] for s in cur.subject[cur.offsets[cid] : cur.offsets[cid + 1]]]
    chosen = [s for s in P.EXAM_SUBJECTS[exam] if s in have]
    if exam == "BAC_NAT" and len(chosen) < 3:
        chosen += [s for s in P.EXAM_NATIONAL_FALLBACK if s in have and s not in chosen]
    return [subjects().index(s) for s in chosen]


def _standardised(x: np.ndarray) -> np.ndarray:
    if len(x) < 2 or x.std() == 0:
        return x - x.mean() if len(x) else x
    return (x - x.mean()) / x.std()


def _stream_in_1bac(stream: np.ndarray) -> np.ndarray:
    """The 1BAC stream a 2BAC stream comes from (PC and SVT come from SC; the others keep their code)."""
    codes = streams()
    back = np.arange(len(codes))
    for source, targets in P.STREAM_TRANSITIONS_2BAC.items():
        for target in targets:
            back[codes.index(target)] = codes.index(source)
    return np.where(stream >= 0, back[np.maximum(stream, 0)], stream)


def _papers(
    candidates: np.ndarray, pupils: Pupils, exam: str, stream: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(candidate position, subject index) of every paper of ``candidates``, subjects in exam order
    (``stream``: the candidates' streams at the exam's level, default their current one)."""
    pos, subj = [], []
    keys = pupils.stream[candidates] if stream is None else stream
    level = levels().index(EXAM_LEVEL[exam])
    for stream in np.unique(keys).tolist():
        who = np.flatnonzero(keys == stream)
        subject_list = np.array(_subjects_of(exam, level, stream), dtype=np.int64)
        pos.append(np.repeat(who, len(subject_list)))
        subj.append(np.tile(subject_list, len(who)))
    if not pos:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(pos), np.concatenate(subj)


def _draw_marks(rng: np.random.Generator, level: np.ndarray) -> np.ndarray:
    marks = level + rng.normal(0.0, P.EXAM_PAPER_SD, len(level))
    return np.round(np.clip(marks, 0.0, 20.0), 1)


def _pass_shift(
    rng: np.random.Generator, mean: np.ndarray, female: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Per candidate, the mark added to every national paper so that, among the present candidates of
    each sex, the share whose normal-session mean reaches 10 is the 2024 rate (parameters
    BAC_PASS_RATE_NORMAL): k = floor(n x rate + u) of the n present candidates pass, u uniform (the
    expected share is the rate, the realised one within one candidate of it), the threshold set
    half-way between the k-th and the (k+1)-th best means."""
    shift = np.zeros(len(mean))
    for is_female, rate in ((True, P.BAC_PASS_RATE_NORMAL["F"]), (False, P.BAC_PASS_RATE_NORMAL["M"])):
        group = female == is_female
        ranked = np.sort(mean[group & present])[::-1]
        n = len(ranked)
        if n == 0:
            continue
        k = min(n, int(np.floor(n * rate + rng.random())))
        if k == 0:
            cut = ranked[0] + 0.5
        elif k == n:
            cut = ranked[-1] - 0.5
        else:
            cut = (ranked[k - 1] + ranked[k]) / 2
        shift[group] = 10.0 - cut
    return shift


class _Sittings:
    """The exam papers collected so far (one array per column and part) and the exam days they refer to."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in _COLUMNS}
        self.dates: list[date] = []

    def add_dates(self, dates: list[date]) -> int:
        """Append an exam's days; returns the index of the first (papers give ``day`` from it)."""
        base = len(self.dates)
        self.dates += dates
        return base

    def add(self, exam: int, session: int, pupil: np.ndarray, subject: np.ndarray, day: np.ndarray,
            grade: np.ndarray, missed: np.ndarray, carried: bool = False) -> None:  # fmt: skip
        for name, values in zip(_COLUMNS, (np.full(len(pupil), exam), np.full(len(pupil), session),
                                           pupil, subject, day, grade, missed,
                                           np.full(len(pupil), carried)), strict=True):  # fmt: skip
            self.parts[name].append(values)


def _subject_rank(exam: str) -> tuple[list[str], np.ndarray]:
    """The exam's subjects in sitting order (the k-th subject is sat on the k-th exam day) and each
    subject's rank in it."""
    order = list(dict.fromkeys(P.EXAM_SUBJECTS[exam] + P.EXAM_NATIONAL_FALLBACK))
    rank = np.zeros(len(subjects()), dtype=np.int64)
    rank[[subjects().index(s) for s in order]] = np.arange(len(order))
    return order, rank


def _sit_exam(
    rng: np.random.Generator,
    out: _Sittings,
    e: int,
    exam: str,
    pupils: Pupils,
    m: Movements,
    school_year: str,
) -> None:
    """The normal session of ``exam`` for its level's pupils still enrolled, and for the national bac the
    resit of the candidates present whose mean is below 10."""
    lv = levels()
    candidates = np.flatnonzero((pupils.level == lv.index(EXAM_LEVEL[exam])) & (m.dropout == NONE))
    pos, subj = _papers(candidates, pupils, exam)
    n_papers = np.bincount(pos, minlength=len(candidates))
    r = _standardised(pupils.ability[candidates])
    female = pupils.female[candidates]
    present = rng.random(len(candidates)) < P.EXAM_PRESENT_SHARE
    if exam == "BAC_NAT":
        noise = rng.normal(0.0, P.EXAM_PAPER_SD, len(pos))
        spread = P.EXAM_LEVEL_SD * r
        raw = np.bincount(pos, weights=spread[pos] + noise, minlength=len(candidates))
        shift = _pass_shift(rng, raw / np.maximum(n_papers, 1), female, present)
        marks = np.round(np.clip(spread[pos] + shift[pos] + noise, 0.0, 20.0), 1)
    else:
        level = P.EXAM_REGIONAL_MEAN + P.EXAM_LEVEL_SD * r + np.where(female, P.EXAM_REGIONAL_GIRL_SHIFT, 0)
        marks = _draw_marks(rng, level[pos])
    order, rank = _subject_rank(exam)
    day_index = rank[subj]
    base = out.add_dates(exam_dates(school_year, exam, "normal", len(order)))
    sat = present[pos]
    out.add(e, 0, candidates[pos], subj, base + day_index, np.where(sat, marks, np.nan), ~sat)
    if exam != "BAC_NAT":
        return
    sums = np.bincount(pos, weights=np.where(sat, marks, 0.0), minlength=len(candidates))
    mean = sums / np.maximum(n_papers, 1)
    resit = present & (mean < 10.0)
    gain = P.EXAM_RESIT_GAIN + rng.normal(0.0, P.EXAM_RESIT_GAIN_SD, len(candidates))
    keep = resit[pos]
    resit_marks = _draw_marks(rng, (mean + gain)[pos[keep]])
    resit_present = (rng.random(len(candidates)) < P.EXAM_PRESENT_SHARE)[pos[keep]]
    base = out.add_dates(exam_dates(school_year, exam, "resit", len(order)))
    out.add(
        e,
        1,
        candidates[pos[keep]],
        subj[keep],
        base + day_index[keep],
        np.where(resit_present, resit_marks, np.nan),
        ~resit_present,
    )


def _carry_regional(
    rng: np.random.Generator, out: _Sittings, e: int, pupils: Pupils, m: Movements, previous: str
) -> None:
    """The 1BAC regional exam the 2BAC pupils sat the year before, in their 1BAC stream."""
    crng = rng.spawn(1)[0]  # its own stream: the other entities' draws do not move
    carried = np.flatnonzero((pupils.level == levels().index("2BAC")) & (m.dropout == NONE))
    pos, subj = _papers(carried, pupils, "BAC_REG", _stream_in_1bac(pupils.stream[carried]))
    female = pupils.female[carried]
    r = _standardised(pupils.ability[carried])
    level = P.EXAM_REGIONAL_MEAN + P.EXAM_LEVEL_SD * r + np.where(female, P.EXAM_REGIONAL_GIRL_SHIFT, 0)
    marks = _draw_marks(crng, level[pos])
    sat = (crng.random(len(carried)) < P.EXAM_PRESENT_SHARE)[pos]
    order, rank = _subject_rank("BAC_REG")
    base = out.add_dates(exam_dates(previous, "BAC_REG", "normal", len(order)))
    out.add(e, 0, carried[pos], subj, base + rank[subj], np.where(sat, marks, np.nan), ~sat, carried=True)


def exam_results(
    rng: np.random.Generator,
    pupils: Pupils,
    m: Movements,
    school_codes: pl.Series,
    student_codes: pl.Series,
    school_year: str,
    region_code: str,
    carry_regional: bool = False,
) -> pl.DataFrame:
    """The exam_results entity (typed). ``carry_regional`` (the first exported year): the 2BAC
    candidates' 1BAC regional exam of the previous school year is carried (``exam_year``)."""
    check_codes(list(EXAM_LEVEL), "code_exams")
    check_codes(["ABN"], "code_missed_test_codes")
    out = _Sittings()
    exam_names = list(EXAM_LEVEL)
    for e, exam in enumerate(exam_names):
        _sit_exam(rng, out, e, exam, pupils, m, school_year)
    previous = school_year_label(first_year_of(school_year) - 1)
    if carry_regional:
        _carry_regional(rng, out, exam_names.index("BAC_REG"), pupils, m, previous)
    cols = {k: np.concatenate(v) if v else np.zeros(0) for k, v in out.parts.items()}
    exam = cols["exam"].astype(np.int64)
    session = cols["session"].astype(np.int64)
    pupil = cols["pupil"].astype(np.int64)
    subject = cols["subject"].astype(np.int64)
    day = cols["day"].astype(np.int64)
    order = np.lexsort((day, pupil, session, exam))
    exam, session, pupil, subject, day = (a[order] for a in (exam, session, pupil, subject, day))
    grade, missed = cols["grade"][order], cols["missed"].astype(bool)[order]
    was_carried = cols["carried"].astype(bool)[order]
    n = len(pupil)
    return pl.DataFrame(
        {
            "school_year": pl.repeat(school_year, n, dtype=pl.String, eager=True),
            "region_code": pl.repeat(region_code, n, dtype=pl.String, eager=True),
            "school_code": school_codes.gather(m.final_school[pupil]),
            "student_code": student_codes.gather(pupil),
            "exam_code": pl.Series(exam_names, dtype=pl.String).gather(exam),
            "exam_session": pl.Series(["normal", "resit"], dtype=pl.String).gather(session),
            "subject_code": pl.Series(subjects(), dtype=pl.String).gather(subject),
            "exam_date": pl.Series(out.dates, dtype=pl.Date).gather(day)
            if n
            else pl.Series([], dtype=pl.Date),
            "grade": pl.Series(grade, dtype=pl.Float64).fill_nan(None),
            "missed_code": pl.Series(["ABN", None], dtype=pl.String).gather(np.where(missed, 0, 1)),
            "exam_year": pl.Series([previous, None], dtype=pl.String).gather(np.where(was_carried, 0, 1)),
        }
    )
