"""Weekly timetables: which subject a class has in each session of the week, with whom and where."""

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
    name="timetables",
    description="One row per class, weekday and session of the weekly timetable.",
    massar_module="Emplois du temps",
    primary_key=("school_year", "class_code", "weekday", "session_number"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        CLASS_CODE,
        Column("weekday", "int", "ISO weekday, 1 = Monday .. 6 = Saturday.", min=1, max=6, aliases=("jour",)),
        Column("session_number", "int", "Session of the day, 1 = first morning hour.", min=1, max=8),
        SUBJECT_CODE,
        Column(
            "teacher_code",
            "string",
            "Teacher giving the session; empty when the post is vacant.",
            required=False,
            pattern=r"^T[0-9]{8}$",
            aliases=("ppr",),
        ),
        Column(
            "classroom_code",
            "string",
            "Room where the session takes place, when recorded.",
            required=False,
            aliases=("salle",),
        ),
    ),
    foreign_keys=(
        ForeignKey(("school_year", "class_code"), "classes", ("school_year", "class_code"), "unknown_class"),
    ),
)
