"""The averages, ranks and decisions of the published warehouse against an independent computation.

From the marks of marts.fct_grade (and the seeds: assessment kinds, coefficients, thresholds; the weights of
dbt_project.yml), Python recomputes with exact fractions every subject average, semester general average
and annual average, rounded half up to 2 decimals at each level as docs/marts.md states (the general
average from the rounded subject averages, the annual from the rounded semester averages), the ranks in
the class (competition ranking: equal rounded averages share a rank, the next rank skips) and the
end-of-year decision (promote when the rounded annual average reaches the cycle's threshold). Every row of
fct_subject_average, fct_semester_result and fct_annual_result must match exactly (doubles compared with
==: the model's 10.40 is the double nearest to 10.40).
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
import yaml

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt" / "dbt_project.yml"


def half_up(value: Fraction) -> Fraction:
    """value (>= 0) rounded half up to 2 decimals."""
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def exact(value: float) -> Fraction:
    """A mark or coefficient as written (12.3 -> 123/10), not as the binary double."""
    return Fraction(Decimal(repr(value)))


def competition_ranks(averages: dict[str, Fraction | None]) -> dict[str, int | None]:
    ranked = sorted((a for a in averages.values() if a is not None), reverse=True)
    first = {}
    for position, average in enumerate(ranked, start=1):
        first.setdefault(average, position)
    return {key: None if a is None else first[a] for key, a in averages.items()}


@pytest.fixture(scope="module")
def con(published_db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(published_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def expected(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    return independent_results(con)


def independent_results(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Expected subject, semester and annual results by their keys, computed in Python from the marks."""
    variables = yaml.safe_load(DBT_PROJECT.read_text())["vars"]["massar"]
    w_continuous, w_unified = (
        exact(variables[k]) for k in ("grade_weight_continuous", "grade_weight_unified")
    )
    w_semester = {1: exact(variables["semester1_weight"]), 2: exact(variables["semester2_weight"])}
    default_coefficient = exact(variables["default_subject_coefficient"])

    kinds = dict(con.execute("select assessment_type, kind from reference.code_assessment_types").fetchall())
    coefficients = {
        (level, stream, subject): exact(c)
        for level, stream, subject, c in con.execute(
            "select level_code, stream_code, subject_code, coefficient from reference.subject_coefficients"
        ).fetchall()
    }
    classes = {
        (year, code): (level, stream)
        for year, code, level, stream in con.execute(
            "select school_year, class_code, level_code, stream_code from marts.dim_class"
        ).fetchall()
    }
    thresholds = dict(
        con.execute("select level_code, promote_min_annual_average from marts.dim_level").fetchall()
    )

    marks: dict[tuple, dict[str, list[Fraction]]] = defaultdict(lambda: {"continuous": [], "unified": []})
    class_of: dict[tuple, str] = {}
    for key, year, semester, subject, class_code, kind_code, grade in con.execute(
        "select student_key, school_year, semester, subject_code, class_code, assessment_type, grade "
        "from marts.fct_grade"
    ).fetchall():
        kind = kinds.get(kind_code)
        if kind is None:
            continue
        group = (key, year, semester, subject)
        marks[group]  # a subject whose tests were all missed still has a row (without average)
        class_of[group] = max(class_of.get(group, class_code), class_code)
        if grade is not None:
            marks[group][kind].append(exact(grade))

    subjects: dict[tuple, tuple[Fraction | None, Fraction]] = {}
    for group, parts in marks.items():
        level, stream = classes.get((group[1], class_of[group]), (None, None))
        coefficient = coefficients.get(
            (level, stream, group[3]), coefficients.get((level, None, group[3]), default_coefficient)
        )
        present = [
            (sum(values) / len(values), weight)
            for values, weight in ((parts["continuous"], w_continuous), (parts["unified"], w_unified))
            if values
        ]
        average = half_up(sum(v * w for v, w in present) / sum(w for _, w in present)) if present else None
        subjects[group] = (average, coefficient)

    semesters: dict[tuple, Fraction | None] = {}
    semester_class: dict[tuple, str] = {}
    sums: dict[tuple, list[Fraction]] = defaultdict(lambda: [Fraction(0), Fraction(0)])
    for (key, year, semester, subject), (average, coefficient) in subjects.items():
        pupil = (key, year, semester)
        semester_class[pupil] = max(semester_class.get(pupil, ""), class_of[(key, year, semester, subject)])
        sums[pupil]  # a pupil without any average is still a row
        if average is not None:
            sums[pupil][0] += average * coefficient
            sums[pupil][1] += coefficient
    for pupil, (weighted, total) in sums.items():
        semesters[pupil] = half_up(weighted / total) if total else None

    semester_ranks: dict[tuple, int | None] = {}
    by_class: dict[tuple, dict] = defaultdict(dict)
    for (key, year, semester), average in semesters.items():
        by_class[(year, semester_class[(key, year, semester)], semester)][(key, year, semester)] = average
    for members in by_class.values():
        semester_ranks.update(competition_ranks(members))

    annual: dict[tuple, tuple[Fraction | None, str]] = {}
    pupil_semesters: dict[tuple, dict[int, Fraction | None]] = defaultdict(dict)
    for (key, year, semester), average in semesters.items():
        pupil_semesters[(key, year)][semester] = average
    for pupil, by_semester in pupil_semesters.items():
        last = max(by_semester)
        present = [(a, w_semester[s]) for s, a in by_semester.items() if a is not None]
        average = half_up(sum(a * w for a, w in present) / sum(w for _, w in present)) if present else None
        annual[pupil] = (average, semester_class[(*pupil, last)])
    annual_ranks: dict[tuple, int | None] = {}
    annual_by_class: dict[tuple, dict] = defaultdict(dict)
    for pupil, (average, class_code) in annual.items():
        annual_by_class[(pupil[1], class_code)][pupil] = average
    for members in annual_by_class.values():
        annual_ranks.update(competition_ranks(members))
    decisions = {}
    for pupil, (average, class_code) in annual.items():
        level = classes.get((pupil[1], class_code), (None, None))[0]
        threshold = thresholds.get(level)
        if level in thresholds and threshold is None:
            decisions[pupil] = "promote"
        elif average is None or level not in thresholds:
            decisions[pupil] = None
        else:
            decisions[pupil] = "promote" if average >= exact(threshold) else "repeat"

    def f(value: Fraction | None) -> float | None:
        return None if value is None else float(value)

    return {
        "subject": {group: f(average) for group, (average, _) in subjects.items()},
        "semester": {pupil: (f(a), semester_ranks[pupil]) for pupil, a in semesters.items()},
        "annual": {
            pupil: (f(average), annual_ranks[pupil], decisions[pupil])
            for pupil, (average, _) in annual.items()
        },
    }


def test_subject_averages(con: duckdb.DuckDBPyConnection, expected: dict[str, dict]) -> None:
    actual = {
        (k, y, s, subject): average
        for k, y, s, subject, average in con.execute(
            "select student_key, school_year, semester, subject_code, subject_average "
            "from marts.fct_subject_average"
        ).fetchall()
    }
    assert len(actual) > 1000
    assert actual == expected["subject"]
    # the rounding is visible: every average has at most 2 decimals
    assert all(a is None or round(a * 100) / 100 == a for a in actual.values())


def test_semester_general_averages_and_ranks(
    con: duckdb.DuckDBPyConnection, expected: dict[str, dict]
) -> None:
    actual = {
        (k, y, s): (average, rank)
        for k, y, s, average, rank in con.execute(
            "select student_key, school_year, semester, general_average, rank_in_class "
            "from marts.fct_semester_result"
        ).fetchall()
    }
    assert actual == expected["semester"]


def test_annual_averages_ranks_and_decisions(
    con: duckdb.DuckDBPyConnection, expected: dict[str, dict]
) -> None:
    actual = {
        (k, y): (average, rank, decision)
        for k, y, average, rank, decision in con.execute(
            "select student_key, school_year, annual_average, rank_in_class, decision "
            "from marts.fct_annual_result"
        ).fetchall()
    }
    assert actual == expected["annual"]
    assert {d for _, _, d in actual.values()} >= {"promote", "repeat"}
