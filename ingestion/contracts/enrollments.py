"""Enrollment movements: entry, re-enrollment, transfer in/out, dropout, each with its date."""

import polars as pl

from ingestion.contracts.base import (
    CLASS_CODE,
    LEVEL_CODE,
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
    name="enrollments",
    description="One row per enrollment movement of a pupil in a school during a school year.",
    massar_module="Gestion des élèves / inscriptions, transferts, abandons",
    primary_key=("school_year", "student_code", "school_code", "event_type", "event_date"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        STUDENT_CODE,
        LEVEL_CODE,
        Column(
            "event_type",
            "string",
            "Movement type.",
            codelist="code_enrollment_events",
            aliases=("type_mouvement", "mouvement"),
        ),
        Column("event_date", "date", "Date of the movement (dd/mm/yyyy).", aliases=("date_mouvement",)),
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
            "the movement date must fall within the school year (1 July to 31 August of the next year)",
            lambda: date_within_school_year("event_date"),
        ),
        RowRule(
            "class_not_in_school",
            "the class code must belong to the school",
            lambda: (
                pl.col("class_code").is_null()
                | pl.col("school_code").is_null()
                | pl.col("class_code").str.starts_with(pl.col("school_code"))
            ),
        ),
    ),
    state_checks=(
        StateCheck(
            "duplicate_enrollment",
            "a second entry or re-enrollment of a pupil already enrolled (no transfer or dropout between)",
            "enrollments",
        ),
    ),
)
