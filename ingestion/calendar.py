"""The school calendar, read from the dbt seeds (``dbt/seeds/calendar``): the one calendar shared by the
generator, ingestion and dbt.

A school day lies between the first and the last day of its school year, is not a Sunday and is not a
listed holiday. (Saturday afternoons are closed too, but which sessions are "afternoon" depends on the
class timetable, which the absence export does not carry: that finer check belongs to dbt.)
"""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl

from ingestion.codelists import read_seed


@cache
def first_days() -> dict[str, date]:
    """First day of classes per school year (the drop date of a bulk export)."""
    return {r["school_year"]: date.fromisoformat(r["first_day"]) for r in read_seed("school_calendar")}


@cache
def last_days() -> dict[str, date]:
    return {r["school_year"]: date.fromisoformat(r["last_day"]) for r in read_seed("school_calendar")}


@cache
def holidays() -> tuple[date, ...]:
    """Every holiday date of every school year (one row per date in the seed)."""
    rows = read_seed("school_holidays")
    return tuple(sorted({date.fromisoformat(r["holiday_date"]) for r in rows}))


def first_day(school_year: str) -> date:
    try:
        return first_days()[school_year]
    except KeyError:
        raise KeyError(f"school year {school_year} is not in the calendar seed") from None


def is_school_day(column: str) -> pl.Expr:
    """True when ``column`` is a school day of the row's ``school_year`` (or is null)."""
    d = pl.col(column)
    year = pl.col("school_year")
    first = year.replace_strict(first_days(), default=None, return_dtype=pl.Date)
    last = year.replace_strict(last_days(), default=None, return_dtype=pl.Date)
    return d.is_null() | (
        (d >= first).fill_null(True)
        & (d <= last).fill_null(True)
        & (d.dt.weekday() != 7)
        & ~d.is_in(pl.lit(pl.Series(holidays(), dtype=pl.Date)).implode())
    )
