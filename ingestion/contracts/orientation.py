"""Orientation: the streams pupils wish at the end of 3AC and of the common core (TC), and the one granted."""

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
from ingestion.contracts.rules import date_within_school_year

ORIENTATION_LEVELS = ("3AC", "TC")
WISHES = ("wish_1", "wish_2", "wish_3", "stream_granted")


def _offered() -> pl.Expr:
    """Every wish and the stream granted are streams offered at the end of the row's level (seed
    xwalk_orientation_offers); nulls pass."""
    ok = pl.lit(True)
    for level in ORIENTATION_LEVELS:
        offered = sorted(
            r["stream_code"] for r in read_seed("xwalk_orientation_offers") if r["after_level"] == level
        )
        for column in WISHES:
            ok = ok & (
                (pl.col("level_code") != level) | pl.col(column).is_null() | pl.col(column).is_in(offered)
            )
    return ok | pl.col("level_code").is_null()


CONTRACT = Contract(
    name="orientation",
    description=(
        "One row per pupil oriented at the end of 3AC or TC in a school year: up to three stream wishes, in "
        "order, and the stream the orientation council granted (empty when the pupil is not oriented)."
    ),
    massar_module="Orientation",
    primary_key=("school_year", "student_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        STUDENT_CODE,
        Column(
            "level_code",
            "string",
            "Orientation level: 3AC (towards the common core) or TC (towards 1BAC).",
            allowed=ORIENTATION_LEVELS,
            aliases=("niveau",),
        ),
        Column("wish_1", "string", "First stream wished.", codelist="code_streams", aliases=("choix_1",)),
        Column(
            "wish_2",
            "string",
            "Second stream wished.",
            required=False,
            codelist="code_streams",
            aliases=("choix_2",),
        ),
        Column(
            "wish_3",
            "string",
            "Third stream wished.",
            required=False,
            codelist="code_streams",
            aliases=("choix_3",),
        ),
        Column(
            "stream_granted",
            "string",
            "Stream granted by the orientation council; empty when not oriented (repeats or leaves).",
            required=False,
            codelist="code_streams",
            aliases=("filiere_accordee", "orientation"),
        ),
        Column("decision_date", "date", "Date of the council's decision.", aliases=("date_decision",)),
    ),
    foreign_keys=(
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
        ForeignKey(
            ("school_year", "student_code"), "pupils", ("school_year", "student_code"), "unknown_pupil"
        ),
    ),
    rules=(
        RowRule(
            "stream_not_offered",
            "a wish or the stream granted is not offered after the pupil's level "
            "(seed xwalk_orientation_offers)",
            _offered,
        ),
        RowRule(
            "impossible_date",
            "the decision date must fall within the school year (1 July to 31 August of the next year)",
            lambda: date_within_school_year("decision_date"),
        ),
    ),
)
