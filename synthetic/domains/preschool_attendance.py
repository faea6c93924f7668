"""Preschool (Massar "préscolaire"): the preschool each pupil entering 1AP attended before.

Massar asks at the 1AP registration whether the child attended preschool, and which kind. The core
simulation does not know it in a single generated year (the preschool year before is not generated, and
traditional kuttab/msid or unregistered private preschools never appear in Massar's preschool
enrollments), so the domain has a source entity of its own: one row per 1AP entrant.

Entrants are the pupils whose first arrival of the year is in a 1AP class and who are either new to
Massar (event ``entry``) or of the usual age (born in the calendar year Y-6): older pupils re-enrolled in
1AP are taken as repeaters, whose attendance was declared at their first 1AP year.

Shares, by the sector and area of the 1AP school. SOURCED targets (``../shared/reference-data/
education_stats/morocco_education_official_figures_from_press.csv``): 2023-2024 "4-5 year-old enrolment
rate 78.7 %" (hibapress); 2022-2023 preschool pupils 931,393 of which public (partner-managed) 571,301
(61 %), private 222,795 (24 %), the remaining 137,297 (15 %) taken here as traditional (UNVERIFIED
attribution). The split by sector and area below is UNVERIFIED; measured on 6,000 pupils (531 entrants)
it gives 77 % attended, and among them 63 % public, 21 % private, 16 % traditional. Years of preschool
are UNVERIFIED.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic import faults
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "preschool_attendance"
ARRIVALS = ("entry", "re_enrollment", "transfer_in")
TYPES = ("PUBLIC", "PRIVATE", "KUTTAB", "NONE")
# P(type) by (sector, area) of the 1AP school (UNVERIFIED split of the SOURCED totals above).
TYPE_SHARES: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("public", "urban"): (0.52, 0.10, 0.14, 0.24),
    ("public", "rural"): (0.56, 0.01, 0.15, 0.28),
    ("private", "urban"): (0.03, 0.90, 0.02, 0.05),
    ("private", "rural"): (0.10, 0.75, 0.05, 0.10),
}
# P(1, 2, 3 years) by type (UNVERIFIED; the official preschool lasts 2 years, PS1 and PS2).
YEARS_SHARES: dict[str, tuple[float, float, float]] = {
    "PUBLIC": (0.35, 0.65, 0.0),
    "PRIVATE": (0.15, 0.60, 0.25),
    "KUTTAB": (0.50, 0.45, 0.05),
}


def entrants(ctx: DomainContext) -> pl.DataFrame:
    """The 1AP entrants of the region-year: ``school_code, class_code, student_code, sector, area``."""
    born = ctx.frames["pupils"].select("student_code", pl.col("birth_date").dt.year().alias("birth_year"))
    schools = ctx.frames["schools"].select("school_code", "sector", "area")
    first = (
        ctx.frames["enrollments"]
        .filter(pl.col("event_type").is_in(ARRIVALS))
        .sort("student_code", "event_date", "school_code")
        .unique("student_code", keep="first", maintain_order=True)
        .filter(pl.col("level_code") == "1AP")
        .join(born, on="student_code", how="left")
    )
    usual = (pl.col("event_type") == "entry") | (pl.col("birth_year") >= ctx.year - 6)
    return (
        first.filter(usual)
        .join(schools, on="school_code", how="left")
        .select("school_code", "class_code", "student_code", "sector", "area")
    )


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The preschool_attendance entity (typed)."""
    rng = ctx.rng
    rows = entrants(ctx)
    n = rows.height
    shares = np.array([TYPE_SHARES[(s, a)] for s, a in rows.select("sector", "area").iter_rows()])
    shares = shares.reshape(n, len(TYPES))
    kind = (rng.random(n)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1).clip(0, len(TYPES) - 1)
    kinds = np.array(TYPES)[kind]
    years = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for name, p in YEARS_SHARES.items():
        at = kinds == name
        years[at] = 1 + (u[at, None] > np.cumsum(p)).sum(axis=1).clip(0, 2)
    return pl.DataFrame(
        {
            "school_year": pl.Series([ctx.school_year] * n, dtype=pl.String),
            "region_code": pl.Series([ctx.region_code] * n, dtype=pl.String),
            "school_code": rows["school_code"],
            "class_code": rows["class_code"],
            "student_code": rows["student_code"],
            "preschool_type": pl.Series(kinds.tolist(), dtype=pl.String),
            "preschool_years": pl.Series(years, dtype=pl.Int64),
        }
    ).sort("student_code")


# --- fault classes of the domain ------------------------------------------------------------------

faults.extend("unknown_school", ENTITY)


@register("unknown_preschool_type", outcome="unknown_code", entities=(ENTITY,))
def unknown_preschool_type(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The preschool type is a free-text answer of the registration form, not a code of the list."""
    values = ["oui", "msid", "Public", "creche", "non"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("preschool_type", picks, dtype=pl.String))


@register("preschool_years_mismatch", outcome="preschool_years_mismatch", entities=(ENTITY,))
def preschool_years_mismatch(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The years contradict the type: years of preschool for a child declared not preschooled, or 0 years
    for a preschool type (the two fields of the form filled independently)."""
    none = rows["preschool_type"] == "NONE"
    years = pl.Series(np.where(none.to_numpy(), ctx.rng.integers(1, 3, rows.height), 0)).cast(pl.String)
    return rows.with_columns(years.alias("preschool_years"))
