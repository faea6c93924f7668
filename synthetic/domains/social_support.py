"""Social support (Massar "appui social"): the programmes pupils benefit from.

A pupil's programmes are drawn at the school where the pupil first arrived in the year (first entry,
re-enrollment or transfer in), from the school's sector, area and cycle. Programmes are public-school
only. Tayssir amounts are the monthly grants by level times ten months.

No figure on beneficiaries was found in ``../shared/reference-data/``: the shares below are assumptions
(UNVERIFIED), chosen so that the programmes look like their public descriptions: Tayssir and canteens
mostly rural primary and lower-secondary pupils, boarding rural secondary pupils, school kits ("one
million schoolbags") most public primary and lower-secondary pupils. The monthly Tayssir grants
(60 / 80 / 100 MAD in primary by pairs of levels, 140 MAD in lower secondary) are the amounts announced
at the programme's extension (press, UNVERIFIED here).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic import faults
from synthetic.calendar import first_day
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "social_support"

# P(beneficiary) by programme, cycle and area, public schools only (UNVERIFIED assumptions).
SHARE: dict[str, dict[tuple[str, str], float]] = {
    "TAYSSIR": {
        ("primary", "rural"): 0.55,
        ("primary", "urban"): 0.12,
        ("lower_secondary", "rural"): 0.45,
        ("lower_secondary", "urban"): 0.08,
    },
    "CANTINE": {("primary", "rural"): 0.45, ("lower_secondary", "rural"): 0.20},
    "INTERNAT": {
        ("lower_secondary", "rural"): 0.06,
        ("upper_secondary", "rural"): 0.10,
        ("upper_secondary", "urban"): 0.01,
    },
    "CARTABLE": {
        ("primary", "rural"): 0.92,
        ("primary", "urban"): 0.85,
        ("lower_secondary", "rural"): 0.75,
        ("lower_secondary", "urban"): 0.60,
    },
}
TAYSSIR_MONTHLY_MAD = {
    "1AP": 60, "2AP": 60, "3AP": 80, "4AP": 80, "5AP": 100, "6AP": 100, "1AC": 140, "2AC": 140, "3AC": 140,
}  # fmt: skip
TAYSSIR_MONTHS = 10
ARRIVALS = ("entry", "re_enrollment", "transfer_in")


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The social_support entity (typed)."""
    schools = ctx.frames["schools"].select("school_code", "sector", "area", "cycle_code")
    start = first_day(ctx.school_year)
    first = (
        ctx.frames["enrollments"]
        .filter(pl.col("event_type").is_in(ARRIVALS))
        .sort("student_code", "event_date", "school_code")
        .unique("student_code", keep="first", maintain_order=True)
        .select("student_code", "school_code", "level_code", "event_date")
        .join(schools, on="school_code", how="left")
        .filter(pl.col("sector") == "public")
    )
    parts = []
    for programme in sorted(SHARE):
        table = SHARE[programme]
        p = np.array(
            [table.get((c, a), 0.0) for c, a in first.select("cycle_code", "area").iter_rows()], dtype=float
        )
        chosen = first.filter(pl.Series(ctx.rng.random(first.height) < p))
        amount = (
            chosen["level_code"].replace_strict(TAYSSIR_MONTHLY_MAD, default=None, return_dtype=pl.Float64)
            * TAYSSIR_MONTHS
            if programme == "TAYSSIR"
            else pl.Series([None] * chosen.height, dtype=pl.Float64)
        )
        parts.append(
            chosen.select(
                "school_code",
                "student_code",
                pl.lit(programme).alias("programme_code"),
                pl.max_horizontal(pl.col("event_date"), pl.lit(start)).alias("start_date"),
            ).with_columns(amount.alias("amount_mad"))
        )
    rows = pl.concat(parts)
    return rows.select(
        pl.lit(ctx.school_year).alias("school_year"),
        pl.lit(ctx.region_code).alias("region_code"),
        "school_code",
        "student_code",
        "programme_code",
        "start_date",
        "amount_mad",
    ).sort("student_code", "programme_code")


# --- fault classes of the domain ------------------------------------------------------------------

faults.extend("unknown_school", ENTITY)


@register("unknown_programme", outcome="unknown_code", entities=(ENTITY,))
def unknown_programme(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The programme is not a code of the code_social_programmes list (an old or local programme name)."""
    values = ["TAYSIR", "tayssir", "BOURSE", "DAR_TALIB", "KIT"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("programme_code", picks, dtype=pl.String))
