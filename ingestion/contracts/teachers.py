"""Teachers (enseignants) and their main school."""

from ingestion.contracts.base import (
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    SUBJECT_CODE,
    Column,
    Contract,
    ForeignKey,
)

CONTRACT = Contract(
    name="teachers",
    description="One row per teacher and school year, with the main school and subject.",
    massar_module="Ressources humaines / enseignants",
    primary_key=("school_year", "teacher_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        Column(
            "teacher_code",
            "string",
            "Teacher identifier (numéro de somme): T and eight digits.",
            pattern=r"^T[0-9]{8}$",
            aliases=("ppr", "code_enseignant", "numero_somme"),
        ),
        SCHOOL_CODE,
        Column("last_name_fr", "string", "Family name.", sensitive=True, aliases=("nom",)),
        Column("first_name_fr", "string", "Given name.", sensitive=True, aliases=("prenom",)),
        Column("sex", "string", "M or F.", allowed=("M", "F"), aliases=("genre", "sexe")),
        SUBJECT_CODE,
        Column(
            "statutory_hours",
            "int",
            "Statutory weekly teaching load in hours.",
            min=1,
            max=40,
            aliases=("horaire_statutaire",),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
    ),
)
