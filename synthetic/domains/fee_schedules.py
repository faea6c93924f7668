"""Fees and contributions (Massar "frais et contributions"): the amounts each public school configures.

Every public school configures, each school year, the contributions its pupils owe: registration
(``INSCRIPTION``), school insurance (``ASSURANCE``) and, in secondary schools, the school-sport association
(``ASSOC_SPORT``); the codes and their recipients are the seed ``fee_types``. Private schools charge their
own tuition outside Massar and configure nothing here.

No figure on these contributions was found in ``../shared/reference-data/``: the amounts below are
assumptions (UNVERIFIED), of the order of the few tens of dirhams reported in the press for public
schools; each school rounds its amount to 5 MAD around the base figure of its cycle.

The fee-domain fault classes are registered here for the three fee entities (schedules, payments,
transfers).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic import faults
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "fee_schedules"
FEE_ENTITIES = ("fee_schedules", "fee_payments", "fee_transfers")
# Base amount per pupil and year in MAD, by contribution and cycle (UNVERIFIED); a missing cycle: none.
BASE_AMOUNT_MAD: dict[str, dict[str, float]] = {
    "INSCRIPTION": {"preschool": 20.0, "primary": 20.0, "lower_secondary": 30.0, "upper_secondary": 40.0},
    "ASSURANCE": {"preschool": 10.0, "primary": 10.0, "lower_secondary": 15.0, "upper_secondary": 15.0},
    "ASSOC_SPORT": {"lower_secondary": 15.0, "upper_secondary": 20.0},
}
# A school's amount: the base plus -5, 0 or +5 MAD (UNVERIFIED spread), never below 5 MAD.
SPREAD_MAD = (-5.0, 0.0, 5.0)
SPREAD_P = (0.2, 0.6, 0.2)


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The fee_schedules entity (typed)."""
    schools = ctx.frames["schools"].filter(pl.col("sector") == "public").select("school_code", "cycle_code")
    parts = []
    for fee in sorted(BASE_AMOUNT_MAD):
        base = BASE_AMOUNT_MAD[fee]
        chosen = schools.filter(pl.col("cycle_code").is_in(list(base)))
        spread = ctx.rng.choice(SPREAD_MAD, size=chosen.height, p=SPREAD_P)
        amount = chosen["cycle_code"].replace_strict(base, return_dtype=pl.Float64) + pl.Series(spread)
        parts.append(
            chosen.select(
                "school_code",
                pl.lit(fee).alias("fee_code"),
                pl.Series("amount_mad", np.maximum(amount.to_numpy(), 5.0), dtype=pl.Float64),
            )
        )
    rows = pl.concat(parts)
    return rows.select(
        pl.lit(ctx.school_year).alias("school_year"),
        pl.lit(ctx.region_code).alias("region_code"),
        "school_code",
        "fee_code",
        "amount_mad",
    ).sort("school_code", "fee_code")


# --- fault classes of the fee domain (schedules, payments, transfers) -----------------------------

for _entity in FEE_ENTITIES:
    faults.extend("unknown_school", _entity)

_AMOUNT_COLUMN = {
    "fee_schedules": "amount_mad",
    "fee_payments": "amount_paid_mad",
    "fee_transfers": "amount_mad",
}


@register("negative_fee_amount", outcome="out_of_range", entities=FEE_ENTITIES)
def negative_fee_amount(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """An amount entered with a minus sign (a refund typed as a negative receipt or transfer)."""
    column = _AMOUNT_COLUMN[ctx.contract.name]
    return rows.with_columns(
        pl.when(pl.col(column).str.starts_with("-"))
        .then(pl.col(column))
        .otherwise(pl.lit("-") + pl.col(column))
        .alias(column)
    )


@register("unknown_fee_code", outcome="unknown_code", entities=FEE_ENTITIES)
def unknown_fee_code(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The contribution is not a code of code_fee_types (a local or old name)."""
    values = ["COOPERATIVE", "APTE", "inscription", "ASS_SPORT", "FRAIS_DOSSIER"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("fee_code", picks, dtype=pl.String))
