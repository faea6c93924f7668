"""Absences: one row per missed session (séance) of a pupil."""

from ingestion.calendar import is_school_day
from ingestion.contracts.base import (
    CLASS_CODE,
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    STUDENT_CODE,
    Column,
    Contract,
    ForeignKey,
    RowRule,
    StateCheck,
)
from ingestion.contracts.rules import date_within_school_year

CONTRACT = Contract(
    name="absences",
    description="One row per pupil and missed session, as recorded by the class teacher.",
    massar_module="Gestion des absences",
    primary_key=("school_year", "student_code", "absence_date", "session_number"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        STUDENT_CODE,
        Column(
            "absence_date",
            "date",
            "Day of the missed session (dd/mm/yyyy).",
            aliases=("date_absence", "date"),
        ),
        Column(
            "session_number",
            "int",
            "Session (séance) of the day, 1 = first morning hour.",
            min=1,
            max=8,
            aliases=("seance", "séance"),
        ),
        Column(
            "justified",
            "bool",
            "Whether the absence was justified (1/0).",
            aliases=("justifiee", "justifiée"),
        ),
        Column(
            "reason_code",
            "string",
            "Reason for the absence, when known.",
            required=False,
            codelist="code_absence_reasons",
            aliases=("motif", "code_motif"),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
        ForeignKey(
            ("school_year", "student_code"), "pupils", ("school_year", "student_code"), "unknown_pupil"
        ),
    ),
    rules=(
        RowRule(
            "impossible_date",
            "the absence date must fall within the school year",
            lambda: date_within_school_year("absence_date"),
        ),
        RowRule(
            "non_school_day",
            "no absence can be recorded on a non-school day (outside the school year's first and last day, "
            "a Sunday or a holiday of the calendar seed)",
            lambda: is_school_day("absence_date"),
        ),
    ),
    state_checks=(
        StateCheck(
            "outside_enrollment",
            "the pupil is not enrolled in the region on the absence date (before entry or after leaving)",
            "enrollments",
        ),
    ),
)
