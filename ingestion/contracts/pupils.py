"""Pupils (élèves): identity. Names, birth date and guardian stay in the restricted layer."""

import polars as pl

from ingestion.contracts.base import REGION_CODE, SCHOOL_YEAR, STUDENT_CODE, Column, Contract, RowRule
from massar.settings.hashing import PBKDF2_PATTERN

CONTRACT = Contract(
    name="pupils",
    description="One row per pupil known to a region's schools in a school year.",
    massar_module="Gestion des élèves / fiche élève",
    primary_key=("school_year", "student_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        STUDENT_CODE,
        Column("last_name_ar", "string", "Family name in Arabic script.", sensitive=True, aliases=("النسب",)),
        Column("first_name_ar", "string", "Given name in Arabic script.", sensitive=True, aliases=("الاسم",)),
        Column("last_name_fr", "string", "Family name in Latin script.", sensitive=True, aliases=("nom",)),
        Column(
            "first_name_fr",
            "string",
            "Given name in Latin script.",
            sensitive=True,
            aliases=("prenom", "prénom"),
        ),
        Column("sex", "string", "M or F.", allowed=("M", "F"), aliases=("genre", "sexe")),
        Column(
            "birth_date",
            "date",
            "Date of birth (exported dd/mm/yyyy).",
            sensitive=True,
            aliases=("date_naissance", "date de naissance"),
        ),
        Column(
            "guardian_name",
            "string",
            "Name of the parent or guardian.",
            required=False,
            sensitive=True,
            aliases=("tuteur", "nom_tuteur", "nom du tuteur", "tuteur légal"),
        ),
        Column(
            "parent_secret_hash",
            "string",
            "Salted slow hash of the parent access secret: pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>.",
            required=False,
            sensitive=True,
            pattern=PBKDF2_PATTERN,
            aliases=("hash_code_acces",),
        ),
    ),
    rules=(
        RowRule(
            "impossible_date",
            "birth date must be between 1990-01-01 and the start of the school year",
            lambda: (
                pl.col("birth_date").is_null()
                | (
                    (pl.col("birth_date") >= pl.date(1990, 1, 1))
                    & (
                        pl.col("birth_date")
                        < pl.date(pl.col("school_year").str.slice(0, 4).cast(pl.Int32, strict=False), 9, 1)
                    )
                )
            ),
        ),
    ),
)
