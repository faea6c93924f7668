"""Roll calls: one row per class, school day and half-day on which the teacher took attendance."""

from ingestion.calendar import is_school_day
from ingestion.contracts.base import (
    CLASS_CODE,
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    Column,
    Contract,
    ForeignKey,
    RowRule,
)
from ingestion.contracts.rules import date_within_school_year

CONTRACT = Contract(
    name="roll_calls",
    description=(
        "One row per class, school day and half-day whose attendance was taken (the session is validated "
        "in Massar, with or without an absent pupil). A class and half-day without a row was not recorded."
    ),
    massar_module="Gestion des absences",
    primary_key=("school_year", "class_code", "roll_call_date", "half_day"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        Column(
            "roll_call_date",
            "date",
            "Day of the roll call (dd/mm/yyyy).",
            aliases=("date_appel", "date"),
        ),
        Column(
            "half_day",
            "int",
            "Half-day whose roll call was taken: 1 = morning, 2 = afternoon.",
            min=1,
            max=2,
            aliases=("demi_journee", "demi-journée"),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
    ),
    rules=(
        RowRule(
            "impossible_date",
            "the roll-call date must fall within the school year",
            lambda: date_within_school_year("roll_call_date"),
        ),
        RowRule(
            "non_school_day",
            "no roll call can be taken on a non-school day (outside the school year's first and last day, "
            "a Sunday or a holiday of the calendar seed)",
            lambda: is_school_day("roll_call_date"),
        ),
    ),
)
