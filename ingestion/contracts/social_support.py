"""Social support (appui social): the programmes each pupil benefits from in a school year."""

from ingestion.contracts.base import (
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    STUDENT_CODE,
    Column,
    Contract,
    ForeignKey,
    RowRule,
)
from ingestion.contracts.rules import date_within_school_year

CONTRACT = Contract(
    name="social_support",
    description=(
        "One row per pupil, programme and school year: conditional cash transfers (Tayssir), school "
        "canteen, boarding, school kits (one million schoolbags)."
    ),
    massar_module="Appui social",
    primary_key=("school_year", "student_code", "programme_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        STUDENT_CODE,
        Column(
            "programme_code",
            "string",
            "Programme (seed code_social_programmes).",
            codelist="code_social_programmes",
            aliases=("programme", "code_programme"),
        ),
        Column(
            "start_date",
            "date",
            "First day the pupil benefits in the school year.",
            aliases=("date_debut", "date_effet"),
        ),
        Column(
            "amount_mad",
            "float",
            "Amount transferred over the school year in dirhams (cash transfers only).",
            required=False,
            min=0,
            max=10000,
            aliases=("montant",),
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
            "impossible_date",
            "the start date must fall within the school year (1 July to 31 August of the next year)",
            lambda: date_within_school_year("start_date"),
        ),
    ),
)
