"""Classes (sections) of a school for a school year."""

from ingestion.contracts.base import (
    CLASS_CODE,
    LEVEL_CODE,
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    Column,
    Contract,
    ForeignKey,
)

CONTRACT = Contract(
    name="classes",
    description="One row per class (section) and school year, with its level and stream.",
    massar_module="Structure pédagogique / classes",
    primary_key=("school_year", "class_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        LEVEL_CODE,
        Column(
            "stream_code",
            "string",
            "Stream (filière) for upper secondary; empty below.",
            required=False,
            codelist="code_streams",
            aliases=("filiere", "filière"),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
    ),
)
