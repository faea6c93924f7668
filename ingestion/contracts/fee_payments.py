"""Fee payments (Massar "frais et contributions"): the revenues a school enters, one receipt per pupil
and contribution."""

import polars as pl

from ingestion.contracts.base import (
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


def not_above(paid: str, due: str) -> pl.Expr:
    """True when ``paid`` <= ``due`` (or either is null: reported by the mandatory check)."""
    return pl.col(paid).is_null() | pl.col(due).is_null() | (pl.col(paid) <= pl.col(due))


CONTRACT = Contract(
    name="fee_payments",
    description=(
        "One row per receipt: a pupil's payment of a contribution at a school, with the amount due "
        "(the school's configured amount) and the amount paid."
    ),
    massar_module="Frais et contributions / recettes",
    primary_key=("school_year", "receipt_number"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        SCHOOL_CODE,
        Column(
            "receipt_number",
            "string",
            "Receipt number: the school code, a dash and six digits.",
            pattern=r"^[0-9]{5}[A-Z]-[0-9]{6}$",
            aliases=("numero_recu", "recu"),
        ),
        STUDENT_CODE,
        Column(
            "fee_code",
            "string",
            "Contribution (seed code_fee_types).",
            codelist="code_fee_types",
            aliases=("code_frais", "frais"),
        ),
        Column("payment_date", "date", "Day the payment was received.", aliases=("date_paiement",)),
        Column(
            "amount_due_mad",
            "float",
            "Amount due for the contribution, in dirhams.",
            min=0,
            max=1000,
            aliases=("montant_du",),
        ),
        Column(
            "amount_paid_mad",
            "float",
            "Amount paid, in dirhams.",
            min=0,
            max=1000,
            aliases=("montant_paye", "montant"),
        ),
    ),
    foreign_keys=(
        ForeignKey(
            ("school_year", "school_code"), "schools", ("school_year", "school_code"), "unknown_school"
        ),
        ForeignKey(
            ("school_year", "student_code"), "pupils", ("school_year", "student_code"), "unknown_pupil"
        ),
    ),
    rules=(
        RowRule(
            "impossible_date",
            "the payment date must fall within the school year (1 July to 31 August of the next year)",
            lambda: date_within_school_year("payment_date"),
        ),
        RowRule(
            "amount_above_due",
            "the amount paid must not exceed the amount due",
            lambda: not_above("amount_paid_mad", "amount_due_mad"),
        ),
    ),
)
