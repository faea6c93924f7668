"""Certificate exam results: 3AC regional exam, baccalaureate regional (1BAC) and national (2BAC) exams,
with the normal (June) and resit (July) sessions.

A 2BAC candidate's file also carries the 1BAC regional exam of an earlier school year when that exam is
not in an earlier export (the first exported year): such rows give that year in ``exam_year`` (the row's
``school_year`` stays the file's, the year the candidate is in 2BAC); the exam date falls in
``exam_year``."""

from ingestion.contracts.base import (
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    STUDENT_CODE,
    SUBJECT_CODE,
    Column,
    Contract,
    ForeignKey,
    RowRule,
)
from ingestion.contracts.rules import date_within_school_year, grade_or_missed_code, not_after_school_year

CONTRACT = Contract(
    name="exam_results",
    description="One row per candidate, exam, session and subject: a mark on 0-20 or a code for an absence.",
    massar_module="Examens / résultats",
    primary_key=("school_year", "student_code", "exam_code", "exam_session", "subject_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        STUDENT_CODE,
        Column(
            "exam_code",
            "string",
            "Which exam (3AC regional, bac regional, bac national).",
            codelist="code_exams",
        ),
        Column(
            "exam_session",
            "string",
            "normal (June) or resit (July, rattrapage).",
            allowed=("normal", "resit"),
            aliases=("session",),
        ),
        SUBJECT_CODE,
        Column("exam_date", "date", "Date of the paper (dd/mm/yyyy).", aliases=("date_examen",)),
        Column(
            "grade",
            "float",
            "Mark on 0-20; empty when absent.",
            required=False,
            min=0,
            max=20,
            aliases=("note",),
        ),
        Column(
            "missed_code",
            "string",
            "Why there is no mark; empty when graded.",
            required=False,
            codelist="code_missed_test_codes",
        ),
        Column(
            "exam_year",
            "string",
            "School year the exam was sat, when earlier than school_year (a 1BAC regional exam carried "
            "in a 2BAC candidate's file); empty when it is school_year.",
            required=False,
            pattern=r"^[0-9]{4}-[0-9]{4}$",
            aliases=("annee_examen",),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
        ForeignKey(
            ("school_year", "student_code"), "pupils", ("school_year", "student_code"), "unknown_pupil"
        ),
    ),
    rules=(
        RowRule(
            "grade_or_missed_code", "exactly one of grade and missed_code must be given", grade_or_missed_code
        ),
        RowRule(
            "impossible_date",
            "the exam date must fall within the school year (exam_year when given)",
            lambda: date_within_school_year("exam_date", year_column="exam_year"),
        ),
        RowRule(
            "impossible_date",
            "exam_year must not be later than the school year",
            lambda: not_after_school_year("exam_year"),
        ),
    ),
)
