"""Certificate exam results: 3AC regional exam, baccalaureate regional (1BAC) and national (2BAC) exams,
with the normal (June) and resit (July) sessions."""

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
from ingestion.contracts.rules import date_within_school_year, grade_or_missed_code

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
            "exam_code", "string", "Which exam (3AC regional, bac regional, bac national).", codelist="exams"
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
            codelist="missed_test_codes",
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
            "the exam date must fall within the school year",
            lambda: date_within_school_year("exam_date"),
        ),
    ),
)
