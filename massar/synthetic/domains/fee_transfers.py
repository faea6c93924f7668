"""Fee transfers (Massar "frais et contributions" / versements): what a school transfers of what it collected.

Each public school transfers each contribution's receipts to its recipient (seed ``fee_types``:
the AREF, or the school-sport association) twice a year: the receipts up to 31 December at the end of
January, the rest at the end of June. Some schools have not made the second transfer when the year's
data is exported (UNVERIFIED share, no figure in ``../shared/reference-data/``).

A school transfers only receipts that were entered correctly: a receipt line with an injected fault (a
line the warehouse rejects or flags) is held back (``hold_back``), so that what a school transferred never
exceeds what the warehouse counts as collected.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from massar.synthetic.domains import DomainContext

ENTITY = "fee_transfers"
AFTER = ("fee_payments",)
SECOND_TRANSFER_PENDING = 0.10  # share of school x contribution without the June transfer; UNVERIFIED


def _transfer_number(year: int) -> pl.Expr:
    """1 for a receipt up to 31 December of the school year's first calendar year, else 2."""
    return pl.when(pl.col("payment_date") <= date(year, 12, 31)).then(1).otherwise(2).alias("transfer_number")


def hold_back(
    transfers: pl.DataFrame, payments: pl.DataFrame, faulty_rows: list[int], year: int
) -> pl.DataFrame:
    """``transfers`` less the amounts of the receipts at ``faulty_rows`` (row numbers of ``payments``, the
    typed fee_payments frame in file order): a transfer left with nothing is not made."""
    if not faulty_rows or not transfers.height:
        return transfers
    held = (
        payments.with_row_index("_row")
        .filter(pl.col("_row").is_in(faulty_rows))
        .with_columns(_transfer_number(year))
        .group_by("school_code", "fee_code", "transfer_number")
        .agg(pl.col("amount_paid_mad").sum().alias("_held"))
        .with_columns(pl.col("transfer_number").cast(pl.Int64))
    )
    return (
        transfers.join(held, on=["school_code", "fee_code", "transfer_number"], how="left")
        .with_columns((pl.col("amount_mad") - pl.col("_held").fill_null(0)).alias("amount_mad"))
        .filter(pl.col("amount_mad") > 0)
        .drop("_held")
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
