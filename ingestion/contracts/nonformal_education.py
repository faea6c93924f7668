"""Non-formal education: beneficiaries of second-chance programmes and their return to formal schooling."""

import polars as pl

from ingestion.codelists import read_seed
from ingestion.contracts.base import (
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    Column,
    Contract,
    ForeignKey,
    RowRule,
)
from ingestion.contracts.rules import date_within_school_year

PUPIL_CODE = r"^[A-Z][0-9]{9}$"
RETURNED = "RETURNED_FORMAL"


def _age_eligible() -> pl.Expr:
    """The child's age at the start (calendar year of start_date minus birth_year) lies within the
    programme's ages (seed code_nonformal_programmes: min_age, max_age); nulls and unknown codes pass."""
    age = pl.col("start_date").dt.year() - pl.col("birth_year")
    ok = pl.lit(True)
    for r in read_seed("code_nonformal_programmes"):
        inside = age.is_between(int(r["min_age"]), int(r["max_age"]))
        ok = ok & ((pl.col("programme_code") != r["programme_code"]) | inside)
    return ok.fill_null(True)


def _end_after_start() -> pl.Expr:
    return (
        pl.col("end_date").is_null()
        | pl.col("start_date").is_null()
        | (pl.col("end_date") >= pl.col("start_date"))
    )


def _return_has_code() -> pl.Expr:
    """A return to formal schooling names the pupil code and the level the child re-entered."""
    returned = pl.col("outcome_code") == RETURNED
    known = pl.col("return_student_code").is_not_null() & pl.col("return_level_code").is_not_null()
    return (~returned | known).fill_null(True)


CONTRACT = Contract(
    name="nonformal_education",
    description=(
        "One row per beneficiary of a second-chance (non-formal education) programme and school year: "
        "out-of-school children aged 9 to 15, the programme, start and end, the outcome and, for a return "
        "to formal schooling, the national pupil code and level under which the child re-entered."
    ),
    massar_module="Éducation non formelle (école de la deuxième chance)",
    primary_key=("school_year", "beneficiary_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        Column(
            "beneficiary_code",
            "string",
            "Beneficiary number of the non-formal education register: NF, the region code, 7 digits.",
            pattern=r"^NF[0-9]{9}$",
            aliases=("code_beneficiaire", "num_beneficiaire"),
        ),
        Column(
            "school_code",
            "string",
            "Massar code of the school the programme's class is attached to (établissement de rattachement).",
            pattern=SCHOOL_CODE.pattern,
            aliases=SCHOOL_CODE.aliases,
        ),
        Column(
            "former_student_code",
            "string",
            "National pupil code of a child who had been a pupil before leaving school; empty otherwise.",
            required=False,
            pattern=PUPIL_CODE,
            aliases=("code_massar_ancien",),
        ),
        Column("sex", "string", "M or F.", allowed=("M", "F"), aliases=("sexe", "genre")),
        Column(
            "birth_year",
            "int",
            "Year of birth (the register keeps the year only).",
            min=1995,
            max=2025,
            aliases=("annee_naissance",),
        ),
        Column(
            "programme_code",
            "string",
            "Programme (seed code_nonformal_programmes).",
            codelist="code_nonformal_programmes",
            aliases=("programme", "code_programme"),
        ),
        Column("start_date", "date", "Day the child started the programme.", aliases=("date_debut",)),
        Column(
            "end_date",
            "date",
            "Day the child left the programme; empty while it goes on.",
            required=False,
            aliases=("date_fin",),
        ),
        Column(
            "outcome_code",
            "string",
            "Where the child is at the export (seed code_nonformal_outcomes).",
            codelist="code_nonformal_outcomes",
            aliases=("situation", "issue"),
        ),
        Column(
            "return_student_code",
            "string",
            "For a return to formal schooling: the national pupil code under which the child re-entered "
            "(the former code, or a new one for a child never enrolled before).",
            required=False,
            pattern=PUPIL_CODE,
            aliases=("code_massar_reinsertion",),
        ),
        Column(
            "return_level_code",
            "string",
            "For a return to formal schooling: the level the child re-entered.",
            required=False,
            codelist="code_levels",
            aliases=("niveau_reinsertion",),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
    ),
    rules=(
        RowRule(
            "impossible_date",
            "the start and end dates must fall within the school year (1 July to 31 August of the next year)",
            lambda: date_within_school_year("start_date") & date_within_school_year("end_date"),
        ),
        RowRule("end_before_start", "the end date is before the start date", _end_after_start),
        RowRule(
            "age_not_eligible",
            "the child's age at the start is outside the programme's ages (seed code_nonformal_programmes)",
            _age_eligible,
        ),
        RowRule(
            "return_without_code",
            "a return to formal schooling must give the pupil code and the level re-entered",
            _return_has_code,
        ),
    ),
)
