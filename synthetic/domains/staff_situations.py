"""Staff situations (Massar ressources humaines): each teacher's grade and administrative situation.

One row per teacher of the year (``teachers`` frame). Years of service are drawn uniformly over a career
(0-35 years); teachers recruited from 2016 on are cadres of the AREF (regional recruitment), the others
hold the grade of their school's cycle (a few secondary teachers are agrégés). A few teachers are not
teaching this year (long sick leave, maternity leave, secondment, availability): their classes are the
vacancies of the human-resources marts. Every share is an assumption (UNVERIFIED: no figure in
``../shared/reference-data/``).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from synthetic import faults
from synthetic.calendar import first_day
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register
from synthetic.sampling import systematic_draw

ENTITY = "staff_situations"
CAREER_YEARS = 35
AREF_RECRUITMENT_FROM = 2016  # UNVERIFIED
GRADE_OF_CYCLE = {"preschool": "PEP", "primary": "PEP", "lower_secondary": "PESC", "upper_secondary": "PESQ"}
AGREGE_SHARE = 0.05  # of upper-secondary teachers recruited before AREF_RECRUITMENT_FROM; UNVERIFIED
# P(situation) other than in service (UNVERIFIED); maternity leave applies to women only.
STATUS_SHARE = {"CONGE_MALADIE": 0.015, "DETACHEMENT": 0.005, "DISPONIBILITE": 0.003}
MATERNITY_SHARE = 0.02
STATUS_START_WITHIN_DAYS = 150  # a change of situation happens in the first months of the year


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The staff_situations entity (typed)."""
    teachers = (
        ctx.frames["teachers"]
        .select("teacher_code", "school_code", "sex")
        .join(ctx.frames["schools"].select("school_code", "cycle_code"), on="school_code", how="left")
        .sort("teacher_code")
    )
    n = teachers.height
    recruited = ctx.year - ctx.rng.integers(0, CAREER_YEARS + 1, n)
    cycle_grade = teachers["cycle_code"].replace_strict(GRADE_OF_CYCLE, default="PEP").to_numpy()
    agrege = (teachers["cycle_code"].to_numpy() == "upper_secondary") & (ctx.rng.random(n) < AGREGE_SHARE)
    grade = np.where(recruited >= AREF_RECRUITMENT_FROM, "CAREF", np.where(agrege, "PAGR", cycle_grade))
    # who is away from class: drawn by systematic sampling per cycle (each teacher keeps the probability
    # of the shares above, and a cycle's count is its expected count rounded), so that a small region's
    # few teachers of a cycle are not half away by chance; then which situation, in proportion to shares
    women = teachers["sex"].to_numpy() == "F"
    other = sum(STATUS_SHARE.values())
    p_away = other + np.where(women, (1 - other) * MATERNITY_SHARE, 0.0)
    cycle = teachers["cycle_code"].fill_null("").to_numpy().astype(str)
    away = systematic_draw(ctx.rng, p_away, np.unique(cycle, return_inverse=True)[1])
    codes_ = [*STATUS_SHARE, "CONGE_MATERNITE"]
    shares = np.array([*STATUS_SHARE.values(), 0.0])
    weights = np.where(women[:, None], np.append(shares[:-1], (1 - other) * MATERNITY_SHARE), shares)
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    pick = (ctx.rng.random(n)[:, None] > cumulative).sum(axis=1).clip(0, len(codes_) - 1)
    status = np.where(away, np.array(codes_, dtype=object)[pick], "ACTIF").astype(object)
    start = first_day(ctx.school_year)
    offset = ctx.rng.integers(0, STATUS_START_WITHIN_DAYS, n)
    since = [
        date(int(y), 9, 1) if s == "ACTIF" else start + timedelta(days=int(d))
        for y, s, d in zip(recruited.tolist(), status.tolist(), offset.tolist(), strict=True)
    ]
    return teachers.select(
        pl.lit(ctx.school_year).alias("school_year"),
        pl.lit(ctx.region_code).alias("region_code"),
        "school_code",
        "teacher_code",
        pl.Series("grade_code", grade.tolist(), dtype=pl.String),
        pl.Series("status_code", status.tolist(), dtype=pl.String),
        pl.Series("status_since", since, dtype=pl.Date),
    )


# --- fault classes of the domain ------------------------------------------------------------------

faults.extend("unknown_school", ENTITY)


@register("unknown_staff_status", outcome="unknown_code", entities=(ENTITY,))
def unknown_staff_status(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The situation is not a code of code_staff_statuses (a free-text or old wording)."""
    values = ["CONGE", "MALADIE", "actif", "RETRAITE", "MUTE"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("status_code", picks, dtype=pl.String))


@register("unknown_teacher", outcome="unknown_teacher", entities=(ENTITY,))
def unknown_teacher(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A teacher number of the right pattern that exists nowhere (region block 99: no such AREF)."""
    digits = ctx.rng.integers(0, 1_000_000, rows.height)
    codes = [f"T99{d:06d}" for d in digits.tolist()]
    return rows.with_columns(pl.Series("teacher_code", codes, dtype=pl.String))
