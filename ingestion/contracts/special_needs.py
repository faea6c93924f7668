"""Inclusive education: pupils with disabilities, their type of disability and class setting."""

from ingestion.contracts.base import (
    CLASS_CODE,
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    STUDENT_CODE,
    Column,
    Contract,
    ForeignKey,
)

CONTRACT = Contract(
    name="special_needs",
    description=(
        "One row per pupil with a disability and school year: type of disability, class setting (ordinary "
        "class or integrated class) and whether an individual education plan exists."
    ),
    massar_module="Éducation inclusive",
    primary_key=("school_year", "student_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        STUDENT_CODE,
        Column(
            "disability_type",
            "string",
            "Type of disability (seed code_disability_types). Health data: sensitive.",
            codelist="code_disability_types",
            sensitive=True,
            aliases=("type_handicap",),
        ),
        Column(
            "class_setting",
            "string",
            "ordinary class (inclusion) or integrated class (seed code_class_settings).",
            codelist="code_class_settings",
            aliases=("type_classe",),
        ),
        Column(
            "individual_plan",
            "bool",
            "Whether the pupil has an individual education plan (projet pédagogique individualisé).",
            aliases=("ppi",),
        ),
    ),
    foreign_keys=(
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
        ForeignKey(
            ("school_year", "student_code"), "pupils", ("school_year", "student_code"), "unknown_pupil"
        ),
    ),
)
