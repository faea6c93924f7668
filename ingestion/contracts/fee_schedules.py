"""Fee schedules (Massar "frais et contributions"): the contributions a school configures for a year."""

from ingestion.contracts.base import REGION_CODE, SCHOOL_CODE, SCHOOL_YEAR, Column, Contract, ForeignKey

CONTRACT = Contract(
    name="fee_schedules",
    description=(
        "One row per school, contribution and school year: the amount each pupil owes (registration, "
        "school insurance, school-sport association)."
    ),
    massar_module="Frais et contributions / paramétrage",
    primary_key=("school_year", "school_code", "fee_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        Column(
            "fee_code",
            "string",
            "Contribution (seed code_fee_types).",
            codelist="code_fee_types",
            aliases=("code_frais", "frais"),
        ),
        Column(
            "amount_mad",
            "float",
            "Amount each pupil owes for the school year, in dirhams.",
            min=0,
            max=1000,
            aliases=("montant",),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
    ),
)
