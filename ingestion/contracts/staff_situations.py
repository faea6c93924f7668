"""Staff situations (Massar ressources humaines): each teacher's grade and administrative situation."""

import polars as pl

from ingestion.contracts.base import (
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    Column,
    Contract,
    ForeignKey,
    RowRule,
)


def not_after_school_year(column: str) -> pl.Expr:
    """True when ``column`` is on or before 31 August of the school year's second calendar year (or null)."""
    end = pl.date(pl.col("school_year").str.slice(5, 4).cast(pl.Int32, strict=False), 8, 31)
    return pl.col(column).is_null() | (pl.col(column) <= end)


CONTRACT = Contract(
    name="staff_situations",
    description=(
        "One row per teacher and school year: grade and administrative situation (in service, long sick "
        "leave, maternity leave, secondment, availability) with the date it started."
    ),
    massar_module="Ressources humaines / situation administrative",
    primary_key=("school_year", "teacher_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        Column(
            "teacher_code",
            "string",
            "Teacher identifier (numéro de somme): T and eight digits.",
            pattern=r"^T[0-9]{8}$",
            aliases=("ppr", "numero_somme"),
        ),
        Column(
            "grade_code",
            "string",
            "Grade (seed code_teacher_grades).",
            codelist="code_teacher_grades",
            aliases=("grade",),
        ),
        Column(
            "status_code",
            "string",
            "Administrative situation (seed code_staff_statuses).",
            codelist="code_staff_statuses",
            aliases=("situation", "position"),
        ),
        Column(
            "status_since",
            "date",
            "First day of the situation (recruitment or last change).",
            aliases=("date_effet",),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
        ForeignKey(
            ("school_year", "teacher_code"), "teachers", ("school_year", "teacher_code"), "unknown_teacher"
        ),
    ),
    rules=(
        RowRule(
            "impossible_date",
            "the situation cannot start after the end of the school year (31 August of the next year)",
            lambda: not_after_school_year("status_since"),
        ),
    ),
)
