"""Fee transfers (Massar "frais et contributions"): what a school transfers of the contributions it
collected to their recipient (the AREF, the school-sport association)."""

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

CONTRACT = Contract(
    name="fee_transfers",
    description="One row per transfer of a contribution's collected amounts by a school to its recipient.",
    massar_module="Frais et contributions / versements",
    primary_key=("school_year", "school_code", "fee_code", "transfer_number"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        Column(
            "fee_code",
            "string",
            "Contribution (seed code_fee_types; its recipient_code is who receives the transfer).",
            codelist="code_fee_types",
            aliases=("code_frais", "frais"),
        ),
        Column(
            "transfer_number",
            "int",
            "Order of the transfer within the school year (1, 2...).",
            min=1,
            max=12,
            aliases=("numero_versement",),
        ),
        Column("transfer_date", "date", "Day of the transfer.", aliases=("date_versement",)),
        Column(
            "amount_mad",
            "float",
            "Amount transferred, in dirhams.",
            min=0,
            max=10_000_000,
            aliases=("montant",),
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
            "the transfer date must fall within the school year (1 July to 31 August of the next year)",
            lambda: date_within_school_year("transfer_date"),
        ),
    ),
)
