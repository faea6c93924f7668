"""Fee payments (Massar "frais et contributions" / recettes): the receipts a school enters.

A pupil pays, at each public school where he or she arrives in the year (first entry, re-enrollment or
transfer in), each contribution the school configured (``fee_schedules``), shortly after arriving. Shares
are assumptions (UNVERIFIED; no figure in ``../shared/reference-data/``): most pupils pay, fewer in rural
areas, and a few pay part of the amount.
"""

from __future__ import annotations

import polars as pl

from synthetic.calendar import first_day, last_day
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "fee_payments"
AFTER = ("fee_schedules",)
ARRIVALS = ("entry", "re_enrollment", "transfer_in")
PAY_SHARE = {"urban": 0.95, "rural": 0.85}  # P(a pupil pays a contribution); UNVERIFIED
PARTIAL_SHARE = 0.04  # of the payers, paying half the amount; UNVERIFIED
MAX_DELAY_DAYS = 20  # payment at most this many days after the arrival (or the first day)


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The fee_payments entity (typed)."""
    start, end = first_day(ctx.school_year), last_day(ctx.school_year)
    schools = ctx.frames["schools"].select("school_code", "area")
    arrivals = (
        ctx.frames["enrollments"]
        .filter(pl.col("event_type").is_in(ARRIVALS))
        .sort("student_code", "school_code", "event_date")
        .unique(["student_code", "school_code"], keep="first", maintain_order=True)
        .select("student_code", "school_code", "event_date")
    )
    owed = (
        arrivals.join(
            ctx.frames["fee_schedules"].select("school_code", "fee_code", "amount_mad"), on="school_code"
        )
        .join(schools, on="school_code", how="left")
        .sort("school_code", "student_code", "fee_code")
    )
    n = owed.height
    pays = (
        ctx.rng.random(n)
        < owed["area"].replace_strict(PAY_SHARE, default=0.9, return_dtype=pl.Float64).to_numpy()
    )
    partial = ctx.rng.random(n) < PARTIAL_SHARE
    delay = ctx.rng.integers(0, MAX_DELAY_DAYS + 1, n)
    rows = owed.with_columns(
        pl.Series("__delay", delay),
        pl.Series("__partial", partial),
    ).filter(pl.Series(pays))
    paid_on = pl.max_horizontal(pl.col("event_date"), pl.lit(start)) + pl.duration(days=pl.col("__delay"))
    rows = rows.with_columns(
        pl.min_horizontal(paid_on, pl.lit(end)).alias("payment_date"),
        pl.col("amount_mad").alias("amount_due_mad"),
        pl.when(pl.col("__partial"))
        .then((pl.col("amount_mad") / 2).round(0))
        .otherwise(pl.col("amount_mad"))
        .alias("amount_paid_mad"),
    )
    rows = rows.with_columns(
        (
            pl.col("school_code")
            + "-"
            + (pl.int_range(1, pl.len() + 1).over("school_code")).cast(pl.String).str.zfill(6)
        ).alias("receipt_number")
    )
    return rows.select(
        pl.lit(ctx.school_year).alias("school_year"),
        pl.lit(ctx.region_code).alias("region_code"),
        "school_code",
        "receipt_number",
        "student_code",
        "fee_code",
        "payment_date",
        "amount_due_mad",
        "amount_paid_mad",
    ).sort("receipt_number")


@register("amount_above_due", outcome="amount_above_due", entities=(ENTITY,))
def amount_above_due(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The amount paid is above the amount due (a digit typed twice: 300 for 30, or the amount of two
    contributions entered on one receipt)."""
    factor = pl.Series([(10.0, 2.0)[i] for i in ctx.rng.integers(0, 2, rows.height)])
    due = rows["amount_due_mad"].str.replace(",", ".").cast(pl.Float64, strict=False)
    paid = (due * factor).round(1)
    text = paid.map_elements(lambda v: f"{v:.1f}".replace(".", ","), return_dtype=pl.String)
    return rows.with_columns(text.alias("amount_paid_mad"))
