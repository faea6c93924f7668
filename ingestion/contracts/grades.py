"""Grades: one row per pupil and assessment (continuous test or unified test)."""

from ingestion.contracts.base import (
    CLASS_CODE,
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
    name="grades",
    description="One row per pupil, subject and assessment: a grade on 0-20, or a code for a missed test.",
    massar_module="Gestion des notes / contrôle continu",
    primary_key=("school_year", "student_code", "subject_code", "semester", "assessment_type"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        STUDENT_CODE,
        SUBJECT_CODE,
        Column("semester", "int", "Semester, 1 or 2.", min=1, max=2, aliases=("semestre",)),
        Column(
            "assessment_type",
            "string",
            "CC1..CC4 (continuous tests) or UNI (unified school test).",
            codelist="code_assessment_types",
            aliases=("type_controle", "controle"),
        ),
        Column("assessment_date", "date", "Date of the test (dd/mm/yyyy).", aliases=("date_controle",)),
        Column(
            "grade",
            "float",
            "Mark on 0-20 with one decimal; empty when the test was missed.",
            required=False,
            min=0,
            max=20,
            aliases=("note", "note/20", "note sur 20"),
        ),
        Column(
            "missed_code",
            "string",
            "Why there is no mark (absent justified or not); empty when graded.",
            required=False,
            codelist="code_missed_test_codes",
            aliases=("code_absence_controle",),
        ),
    ),
    foreign_keys=(
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
        ForeignKey(
            ("school_year", "student_code"), "pupils", ("school_year", "student_code"), "unknown_pupil"
        ),
    ),
    rules=(
        RowRule(
            "grade_or_missed_code",
            "exactly one of grade and missed_code must be given",
            grade_or_missed_code,
        ),
        RowRule(
            "impossible_date",
            "the assessment date must fall within the school year",
            lambda: date_within_school_year("assessment_date"),
        ),
    ),
)
