"""Teaching assignments: which teacher teaches which subject to which class, for how many hours."""

from ingestion.contracts.base import (
    CLASS_CODE,
    REGION_CODE,
    SCHOOL_CODE,
    SCHOOL_YEAR,
    SUBJECT_CODE,
    Column,
    Contract,
    ForeignKey,
)

CONTRACT = Contract(
    name="teaching_assignments",
    description="One row per teacher, class and subject in a school year, with weekly hours.",
    massar_module="Ressources humaines / affectations et emplois du temps",
    primary_key=("school_year", "teacher_code", "class_code", "subject_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        Column("teacher_code", "string", "Teacher identifier.", pattern=r"^T[0-9]{8}$", aliases=("ppr",)),
        CLASS_CODE,
        SUBJECT_CODE,
        Column("weekly_hours", "float", "Weekly hours taught.", min=0.5, max=30, aliases=("heures",)),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "teacher_code"), "teachers", ("school_year", "teacher_code"), "unknown_teacher"
        ),
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
    ),
)
