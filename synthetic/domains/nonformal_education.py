"""Non-formal education (second-chance programmes): out-of-school children aged 9 to 15.

Two groups of beneficiaries per region-year:

- pupils who dropped out during the year (the core ``enrollments`` frame, event ``dropout``), aged 9 to 15
  at the start of the programme, join a programme with probability ``JOIN_SHARE`` some weeks after leaving
  (starts after 30 April are left for the next year); they keep their national pupil code
  (``former_student_code``), attached to their last school when it is public, else to a public school
  of the same province;
- children who never enrolled (or left in an earlier year, unknown to this year's frames), as a share
  ``OUT_OF_SCHOOL_SHARE`` of the year's pupils aged 9 to 15, attached to a public primary school of the
  region; no former code. When they return to formal schooling they get a new pupil code (counter
  ``NEW_CODE_BASE`` + …: a range no real or fault pupil uses). Such codes are not in the pupils file of
  the year: the return takes effect at the next rentrée.

No figure on non-formal education was found in ``../shared/reference-data/``: every share here is
UNVERIFIED (press reports speak of some 90,000 second-chance beneficiaries a year, about 1 % of
pupils; the dropouts themselves follow the SOURCED dropout rates of ``synthetic.parameters``).
Outcomes: a child ends the year still in the programme, back in formal schooling (decision in June,
level by age), oriented to vocational training, or having left.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from synthetic import codes, faults
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "nonformal_education"
MIN_AGE, MAX_AGE = 9, 15
JOIN_SHARE = 0.30  # UNVERIFIED: dropouts aged 9-15 reached by a programme within the year
OUT_OF_SCHOOL_SHARE = 0.008  # UNVERIFIED: other beneficiaries per pupil aged 9-15
GIRLS_SHARE = 0.52  # UNVERIFIED (out-of-school children: slightly more girls, mostly rural)
NEW_CODE_BASE = 600_000_000  # pupil code counters of children entering formal schooling from a programme
# Programme by age at the start (UNVERIFIED): E2C nouvelle génération from 12.
PROGRAMMES_YOUNG = {"E2C": 0.75, "PASSERELLE": 0.25}
PROGRAMMES_OLD = {"E2C": 0.50, "E2C_NG": 0.35, "PASSERELLE": 0.15}
OUTCOMES = ("ONGOING", "RETURNED_FORMAL", "VOCATIONAL", "LEFT")
OUTCOME_SHARES: dict[str, tuple[float, float, float, float]] = {  # UNVERIFIED
    "E2C": (0.60, 0.20, 0.05, 0.15),
    "E2C_NG": (0.45, 0.10, 0.30, 0.15),
    "PASSERELLE": (0.30, 0.60, 0.00, 0.10),
}
# Level re-entered by age at the decision (UNVERIFIED: one or two years behind the usual level).
RETURN_LEVEL = {9: "2AP", 10: "3AP", 11: "4AP", 12: "5AP", 13: "6AP", 14: "1AC", 15: "1AC", 16: "2AC"}


def _draw(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    names = list(shares)
    p = np.array(list(shares.values()), dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=size, p=p / p.sum())]


def _dropouts(ctx: DomainContext, last_start: date) -> pl.DataFrame:
    pupils = ctx.frames["pupils"].select(
        "student_code", "sex", pl.col("birth_date").dt.year().alias("birth_year")
    )
    drops = (
        ctx.frames["enrollments"]
        .filter(pl.col("event_type") == "dropout")
        .select("student_code", "school_code", "event_date")
        .join(pupils, on="student_code", how="left")
    )
    delay = ctx.rng.integers(15, 91, drops.height)
    drops = drops.with_columns(
        (pl.col("event_date") + pl.Series(delay).cast(pl.Int64) * pl.duration(days=1)).alias("start_date")
    )
    age = pl.col("start_date").dt.year() - pl.col("birth_year")
    eligible = drops.filter(age.is_between(MIN_AGE, MAX_AGE) & (pl.col("start_date") <= last_start))
    joined = eligible.filter(pl.Series(ctx.rng.random(eligible.height) < JOIN_SHARE))
    return joined.select(
        "school_code",
        pl.col("student_code").alias("former_student_code"),
        "sex",
        "birth_year",
        "start_date",
    )


def _out_of_school(ctx: DomainContext, first: date, last_start: date) -> pl.DataFrame:
    years = ctx.frames["pupils"]["birth_date"].dt.year()
    aged = int(((ctx.year - years >= MIN_AGE) & (ctx.year - years <= MAX_AGE)).sum())
    n = int(ctx.rng.binomial(aged, OUT_OF_SCHOOL_SHARE))
    schools = ctx.frames["schools"].filter(
        (pl.col("sector") == "public") & (pl.col("cycle_code") == "primary")
    )
    if n == 0 or schools.is_empty():
        return pl.DataFrame()
    rng = ctx.rng
    span = (last_start - first).days
    hosts = schools["school_code"].gather(rng.integers(0, schools.height, n))
    sexes = np.where(rng.random(n) < GIRLS_SHARE, "F", "M").tolist()
    ages = rng.integers(MIN_AGE, MAX_AGE + 1, n)  # age at the start (the contract's rule)
    starts = [first + timedelta(days=int(d)) for d in rng.integers(0, span, n)]
    births = [start.year - int(age) for start, age in zip(starts, ages, strict=True)]
    return pl.DataFrame(
        {
            "school_code": hosts,
            "former_student_code": pl.Series([None] * n, dtype=pl.String),
            "sex": pl.Series(sexes, dtype=pl.String),
            "birth_year": pl.Series(births, dtype=pl.Int64),
            "start_date": pl.Series(starts, dtype=pl.Date),
        }
    )


def _public_host(ctx: DomainContext, rows: pl.DataFrame) -> pl.Series:
    """The school a dropout's programme is attached to: the last school when public, else a public
    primary or lower-secondary school of its province (the region's first public school at worst)."""
    schools = ctx.frames["schools"]
    public = schools.filter(
        (pl.col("sector") == "public") & pl.col("cycle_code").is_in(["primary", "lower_secondary"])
    )
    by_province = public.group_by("province_code").agg(pl.col("school_code").min().alias("host"))
    host = (
        rows.select("school_code")
        .join(schools.select("school_code", "sector", "province_code"), on="school_code", how="left")
        .join(by_province, on="province_code", how="left")
        .select(
            pl.when(pl.col("sector") == "public")
            .then(pl.col("school_code"))
            .otherwise(pl.coalesce("host", pl.lit(public["school_code"].min())))
        )
        .to_series()
    )
    return host.alias("school_code")


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The nonformal_education entity (typed)."""
    rng = ctx.rng
    first = date(ctx.year, 9, 15)
    last_start = date(ctx.year + 1, 4, 30)
    decision = date(ctx.year + 1, 6, 30)
    drops = _dropouts(ctx, last_start)
    drops = drops.with_columns(_public_host(ctx, drops))
    others = _out_of_school(ctx, first, last_start)
    rows = pl.concat([drops, others], how="diagonal_relaxed") if others.height else drops
    n = rows.height
    age = (rows["start_date"].dt.year() - rows["birth_year"]).to_numpy()
    programme = np.where(age >= 12, _draw(rng, PROGRAMMES_OLD, n), _draw(rng, PROGRAMMES_YOUNG, n)).astype(
        str
    )
    cum = np.cumsum(np.array([OUTCOME_SHARES[p] for p in programme]).reshape(n, 4), axis=1)
    outcome = np.array(OUTCOMES)[(rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 3)]
    start = rows["start_date"].to_list()
    end: list[date | None] = []
    for s, o in zip(start, outcome.tolist(), strict=True):
        if o == "ONGOING":
            end.append(None)
        elif o == "LEFT":
            end.append(min(decision, s + timedelta(days=int(rng.integers(10, 200)))))
        else:
            end.append(decision - timedelta(days=int(rng.integers(0, 25))))
    returned = outcome == "RETURNED_FORMAL"
    first_number = ctx.take(ENTITY, n)  # 0 unless earlier chunks of the region numbered theirs
    new_codes = codes.student_codes(
        ctx.region_code, NEW_CODE_BASE + (ctx.year % 100) * 1_000_000 + first_number + np.arange(n)
    )
    former = rows["former_student_code"]
    return_code = pl.select(
        pl.when(pl.Series(returned)).then(pl.coalesce(former, new_codes)).otherwise(None)
    ).to_series()
    level_age = np.clip(ctx.year + 1 - rows["birth_year"].to_numpy(), 9, 16)
    return_level = [RETURN_LEVEL[int(a)] if r else None for a, r in zip(level_age, returned, strict=True)]
    return pl.DataFrame(
        {
            "school_year": pl.Series([ctx.school_year] * n, dtype=pl.String),
            "region_code": pl.Series([ctx.region_code] * n, dtype=pl.String),
            "beneficiary_code": pl.Series(
                [
                    f"NF{ctx.region_code}{ctx.year % 100:02d}{i:05d}"
                    for i in range(first_number, first_number + n)
                ],
                dtype=pl.String,
            ),
            "school_code": rows["school_code"],
            "former_student_code": former,
            "sex": rows["sex"],
            "birth_year": rows["birth_year"].cast(pl.Int64),
            "programme_code": pl.Series(programme.tolist(), dtype=pl.String),
            "start_date": rows["start_date"],
            "end_date": pl.Series(end, dtype=pl.Date),
            "outcome_code": pl.Series(outcome.tolist(), dtype=pl.String),
            "return_student_code": return_code.alias("return_student_code"),
            "return_level_code": pl.Series(return_level, dtype=pl.String),
        }
    )


# --- fault classes of the domain ------------------------------------------------------------------
# Registered most constrained first: a region file holds few rows, and the classes share them in this order.

faults.extend("unknown_school", ENTITY)


def _returned(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    return rows["outcome_code"] == "RETURNED_FORMAL"


@register("return_without_code", outcome="return_without_code", entities=(ENTITY,), eligible=_returned)
def return_without_code(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """A return to formal schooling recorded before the school gave the pupil code: code left empty."""
    return rows.with_columns(pl.lit(None, dtype=pl.String).alias("return_student_code"))


def _ended(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    return rows["end_date"].is_not_null()


@register("end_before_start", outcome="end_before_start", entities=(ENTITY,), eligible=_ended)
def end_before_start(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The end date is before the start date (the two dates swapped at entry); both stay in the year."""
    return rows.with_columns(pl.col("start_date").alias("end_date"), pl.col("end_date").alias("start_date"))


def _in_programme_age(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    return rows["birth_year"].is_not_null() & rows["start_date"].is_not_null()


@register("age_not_eligible", outcome="age_not_eligible", entities=(ENTITY,), eligible=_in_programme_age)
def age_not_eligible(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The birth year makes the child too young (6-8) or too old (16-19) for the programme: a child
    registered outside the target ages, or the year of registration typed for the year of birth."""
    start_year = rows["start_date"].str.slice(6, 4).cast(pl.Int64)
    age = np.where(
        ctx.rng.random(rows.height) < 0.5,
        ctx.rng.integers(6, 9, rows.height),
        ctx.rng.integers(16, 20, rows.height),
    )
    return rows.with_columns((start_year - pl.Series(age)).cast(pl.String).alias("birth_year"))


@register("unknown_nonformal_programme", outcome="unknown_code", entities=(ENTITY,))
def unknown_nonformal_programme(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The programme is an old or local name, not a code of the code_nonformal_programmes list."""
    values = ["ENF", "E2C-NG", "deuxieme chance", "ALPHA", "MDA"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("programme_code", picks, dtype=pl.String))
