"""Reusable rule expressions shared by several contracts."""

import polars as pl


def school_year_start() -> pl.Expr:
    """1 July of the school year's first calendar year."""
    return pl.date(pl.col("school_year").str.slice(0, 4).cast(pl.Int32, strict=False), 7, 1)


def date_within_school_year(column: str) -> pl.Expr:
    """True when ``column`` lies in [1 July Y, 31 August Y+1] for school year Y-(Y+1), or is null."""
    start = school_year_start()
    end = pl.date(pl.col("school_year").str.slice(5, 4).cast(pl.Int32, strict=False), 8, 31)
    return pl.col(column).is_null() | ((pl.col(column) >= start) & (pl.col(column) <= end))


def grade_or_missed_code() -> pl.Expr:
    """Exactly one of ``grade`` and ``missed_code`` is given."""
    return pl.col("grade").is_null() ^ pl.col("missed_code").is_null()
