"""Preschool attendance: the preschool each pupil entering 1AP attended before (declared at registration)."""

import polars as pl

from ingestion.codelists import read_seed
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
)


def _years_match_type() -> pl.Expr:
    """No preschool (a type whose ``attended`` flag is false) goes with 0 years, any other type with 1 to
    3 years (seed code_preschool_types); nulls pass."""
    none = sorted(r["preschool_type"] for r in read_seed("code_preschool_types") if r["attended"] == "false")
    years, kind = pl.col("preschool_years"), pl.col("preschool_type")
    consistent = pl.when(kind.is_in(none)).then(years == 0).otherwise(years >= 1)
    return years.is_null() | kind.is_null() | consistent


CONTRACT = Contract(
    name="preschool_attendance",
    description=(
        "One row per pupil entering 1AP for the first time in a school year: the kind of preschool the pupil "
        "attended before (public, private, traditional kuttab/msid, or none) and for how many years, as "
        "declared at the 1AP registration."
    ),
    massar_module="Préscolaire / inscription en 1ère année primaire",
    primary_key=("school_year", "student_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        STUDENT_CODE,
        Column(
            "preschool_type",
            "string",
            "Kind of preschool attended before 1AP (seed code_preschool_types; NONE = not attended).",
            codelist="code_preschool_types",
            aliases=("type_prescolaire", "prescolarise"),
        ),
        Column(
            "preschool_years",
            "int",
            "Years of preschool attended (0 when none).",
            min=0,
            max=3,
            aliases=("annees_prescolaire", "nb_annees_prescolaire"),
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
            "preschool_years_mismatch",
            "0 years of preschool goes with the type NONE, and any other type with 1 to 3 years",
            _years_match_type,
        ),
    ),
)
