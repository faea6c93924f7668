"""Inclusive education (Massar "éducation inclusive"): pupils with disabilities.

Pupils are drawn among those whose last movement of the year is an arrival in a class (preschool
excluded), at that class. Shares are assumptions (UNVERIFIED) except where stated: the census gives a
disability prevalence of 4.8 % for the whole population (SOURCED: ``../shared/reference-data/census/
hcp_rgph2024_people_indicators_all_units.csv.gz``, country row, ``disability_prevalence`` = 4.8), mostly
older people; among pupils we assume 1 %. Integrated classes take a share of the pupils with an
intellectual disability, autism or multiple disabilities in primary.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "special_needs"
SHARE_OF_PUPILS = 0.01  # UNVERIFIED (the census' 4.8 % is for all ages)
TYPE_SHARES = {  # UNVERIFIED
    "learning": 0.30,
    "intellectual": 0.20,
    "motor": 0.15,
    "hearing": 0.10,
    "visual": 0.10,
    "autism": 0.10,
    "multiple": 0.05,
}
INTEGRATED = {"intellectual": 0.4, "autism": 0.4, "multiple": 0.6}  # in primary; UNVERIFIED
INDIVIDUAL_PLAN = 0.5  # UNVERIFIED


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The special_needs entity (typed)."""
    rng = ctx.rng
    moves = ctx.frames["enrollments"].sort("student_code", "event_date")
    last = moves.unique("student_code", keep="last", maintain_order=True).filter(
        pl.col("event_type").is_in(["entry", "re_enrollment", "transfer_in"])
        & ~pl.col("level_code").is_in(["PS1", "PS2"])
    )
    chosen = last.filter(pl.Series(rng.random(last.height) < SHARE_OF_PUPILS))
    n = chosen.height
    types = list(TYPE_SHARES)
    kind = np.array(types)[rng.choice(len(types), size=n, p=np.array(list(TYPE_SHARES.values())))]
    primary = chosen["level_code"].str.ends_with("AP").to_numpy()
    p_integrated = np.array([INTEGRATED.get(k, 0.0) for k in kind]) * primary
    setting = np.where(rng.random(n) < p_integrated, "integrated_class", "ordinary")
    return pl.DataFrame(
        {
            "school_year": pl.Series([ctx.school_year] * n, dtype=pl.String),
            "region_code": pl.Series([ctx.region_code] * n, dtype=pl.String),
            "school_code": chosen["school_code"],
            "class_code": chosen["class_code"],
            "student_code": chosen["student_code"],
            "disability_type": pl.Series(kind.tolist(), dtype=pl.String),
            "class_setting": pl.Series(setting.tolist(), dtype=pl.String),
            "individual_plan": pl.Series(rng.random(n) < INDIVIDUAL_PLAN, dtype=pl.Boolean),
        }
    ).sort("student_code")


@register("unknown_disability_type", outcome="unknown_code", entities=(ENTITY,))
def unknown_disability_type(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The disability type is not a code of the code_disability_types list (a free-text label)."""
    values = ["handicap", "TSA", "sourd", "Moteur", "autre"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("disability_type", picks, dtype=pl.String))
