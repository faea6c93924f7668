"""Fee transfers (Massar "frais et contributions" / versements): what a school transfers of what it collected.

Each public school transfers each contribution's receipts to its recipient (seed ``fee_types``:
the AREF, or the school-sport association) twice a year: the receipts up to 31 December at the end of
January, the rest at the end of June. Some schools have not made the second transfer when the year's
data is exported (UNVERIFIED share, no figure in ``../shared/reference-data/``).

A school transfers only receipts that were entered correctly: what a receipt line with an injected fault
(a line the warehouse rejects or flags) brought in is held back (``hold_back``: each transfer is capped at
the receipts of the file's clean lines), so that what a school transferred never exceeds what the
warehouse counts as collected.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from synthetic.domains import DomainContext

ENTITY = "fee_transfers"
AFTER = ("fee_payments",)
SECOND_TRANSFER_PENDING = 0.10  # share of school x contribution without the June transfer; UNVERIFIED


def _transfer_number(year: int) -> pl.Expr:
    """1 for a receipt up to 31 December of the school year's first calendar year, else 2."""
    return pl.when(pl.col("payment_date") <= date(year, 12, 31)).then(1).otherwise(2).alias("transfer_number")


def hold_back(transfers: pl.DataFrame, valid_receipts: pl.DataFrame, year: int) -> pl.DataFrame:
    """``transfers`` capped, per school, contribution and transfer, at the receipts of ``valid_receipts``
    (the fee_payments file's lines without an injected fault, as text: amounts with a decimal comma, dates
    dd/mm/yyyy); a transfer left with nothing is not made."""
    if not transfers.height:
        return transfers
    valid = (
        valid_receipts.select(
            "school_code",
            "fee_code",
            pl.col("payment_date").str.to_date("%d/%m/%Y", strict=False),
            pl.col("amount_paid_mad").str.replace(",", ".").cast(pl.Float64, strict=False),
        )
        .with_columns(_transfer_number(year))
        .group_by("school_code", "fee_code", "transfer_number")
        .agg(pl.col("amount_paid_mad").sum().alias("_valid"))
        .with_columns(pl.col("transfer_number").cast(pl.Int64))
    )
    return (
        transfers.join(valid, on=["school_code", "fee_code", "transfer_number"], how="left")
        .with_columns(pl.min_horizontal("amount_mad", pl.col("_valid").fill_null(0.0)).alias("amount_mad"))
        .filter(pl.col("amount_mad") > 0)
        .drop("_valid")
    )


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The fee_transfers entity (typed)."""
    dates = {1: date(ctx.year + 1, 1, 31), 2: date(ctx.year + 1, 6, 30)}
    paid = ctx.frames["fee_payments"].with_columns(_transfer_number(ctx.year))
    totals = (
        paid.group_by("school_code", "fee_code", "transfer_number")
        .agg(pl.col("amount_paid_mad").sum().alias("amount_mad"))
        .sort("school_code", "fee_code", "transfer_number")
    )
    pending = ctx.rng.random(totals.height) < SECOND_TRANSFER_PENDING
    keep = (pl.Series(~pending) | (totals["transfer_number"] == 1)) & (totals["amount_mad"] > 0)
    rows = totals.filter(keep)
    return rows.select(
        pl.lit(ctx.school_year).alias("school_year"),
        pl.lit(ctx.region_code).alias("region_code"),
        "school_code",
        "fee_code",
        pl.col("transfer_number").cast(pl.Int64),
        pl.col("transfer_number").replace_strict(dates, return_dtype=pl.Date).alias("transfer_date"),
        "amount_mad",
    )
