"""Reusable rule expressions shared by several contracts."""

import polars as pl


def _per_school_year(expr: pl.Expr, dtype: pl.DataType, year: pl.Expr | None = None) -> pl.Expr:
    """``expr``, a function of the row's ``school_year`` alone, evaluated once per distinct school year
    and mapped back onto the rows: the same values as evaluating it on every row, without slicing and
    parsing the same string millions of times (a file holds one school year, or a few when faulty).
    ``year``: the school year to use (default the row's ``school_year``)."""

    def per_row(years: pl.Series) -> pl.Series:
        if years.len() == 0:
            return pl.Series(years.name, [], dtype=dtype)
        distinct = years.unique()
        values = distinct.to_frame("school_year").select(expr).to_series()
        return years.replace_strict(distinct, values, return_dtype=dtype)

    source = pl.col("school_year") if year is None else year
    return source.map_batches(per_row, return_dtype=dtype, is_elementwise=True)


def _school_year_bound(offset: int, month: int, day: int, year: pl.Expr | None = None) -> pl.Expr:
    first = pl.col("school_year").str.slice(offset, 4).cast(pl.Int32, strict=False)
    return _per_school_year(pl.date(first, month, day), pl.Date(), year)


def school_year_start() -> pl.Expr:
    """1 July of the school year's first calendar year."""
    return _school_year_bound(0, 7, 1)


def date_within_school_year(column: str, year_column: str | None = None) -> pl.Expr:
    """True when ``column`` lies in [1 July Y, 31 August Y+1] for school year Y-(Y+1), or is null.

    ``year_column``: an optional column holding the school year to use instead of ``school_year``
    where it is given."""
    year = None if year_column is None else pl.coalesce(pl.col(year_column), pl.col("school_year"))
    start = _school_year_bound(0, 7, 1, year)
    end = _school_year_bound(5, 8, 31, year)
    return pl.col(column).is_null() | ((pl.col(column) >= start) & (pl.col(column) <= end))


def not_after_school_year(column: str) -> pl.Expr:
    """True when the school year in ``column`` (YYYY-YYYY) is not later than the row's ``school_year``,
    or is null (the format is the column's pattern check)."""
    return pl.col(column).is_null() | (pl.col(column) <= pl.col("school_year"))


def grade_or_missed_code() -> pl.Expr:
    """Exactly one of ``grade`` and ``missed_code`` is given."""
    return pl.col("grade").is_null() ^ pl.col("missed_code").is_null()
