"""The public statistics store: aggregated figures anyone may see, already suppressed.

A small DuckDB file of each published version (``$MASSAR_HOME/serving/<version>/public_stats.duckdb``,
schema ``stats``) written at publish time by ``warehouse/serving.py`` after small-cell suppression
(``warehouse/suppression.py``), before the version's ``CURRENT`` switch; opened read-only, for the version
``CURRENT`` names, and checked to be that version's (``stats.about.source``).
It holds no pupil-level row. In every table a null count or rate is a suppressed one and a
null region, province, cycle or sex is a total:

- ``pupils``: pupils by region x cycle x sex and province x cycle, with every total;
- ``exam_results``: candidates, passed and pass rate by certificate x region x sex;
- ``attendance``: classified pupils, chronically absent pupils, chronic-absence and attendance rates
  by region;
- ``about``: the suppression threshold and when the store was built.

Queries are constant SQL with ``?`` parameters. The shaping helpers below turn a tidy frame into the
table a page shows (codes only: the page adds labels and number formats).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from dashboards.public.store import StoreNotCurrent, current_version, stores_folder

STATS_NAME = "public_stats.duckdb"
TOTAL = "_total"  # the key of a total row or column in the shaped tables


def stats_path(version: str | None = None) -> Path:
    """The statistics store of ``version`` (default: the current version; a path that does not exist
    when nothing is published)."""
    return stores_folder(version or current_version()) / STATS_NAME


class PublicStatsStore:
    """Read-only access to the public statistics store (one connection, a cursor per query).

    Without ``path``: the store of the version ``CURRENT`` names, checked to be built for it
    (``version``); the page keeps one store per version."""

    def __init__(self, path: Path | None = None, version: str | None = None) -> None:
        self.version = (version or current_version()) if path is None else None
        if path is None and self.version is None:
            raise StoreNotCurrent("nothing is published (or CURRENT is damaged): no statistics store")
        self.path = path or stats_path(self.version)
        # The file is attached to a private in-memory database rather than opened with
        # ``duckdb.connect(path)``: DuckDB shares one database instance per path within a process, so a
        # store opened after a publish replaced the file would get the instance still holding the old
        # file while an older store is open (the page keeps one store per file version).
        self._con = duckdb.connect()
        try:
            self._con.execute("attach ? as public_stats (read_only)", [str(self.path)])
        except duckdb.IOException as exc:
            self._con.close()
            raise StoreNotCurrent(f"no statistics store for {self.version or self.path}") from exc
        if self.version is not None:
            source = self._con.execute("select source from public_stats.stats.about").fetchall()
            if source != [(self.version,)]:
                self._con.close()
                raise StoreNotCurrent(f"{self.path} was built for {source}, not {self.version}")

    def close(self) -> None:
        self._con.close()

    def _frame(self, sql: str, params: list[object]) -> pl.DataFrame:
        cursor = self._con.cursor()
        try:
            cursor.execute("use public_stats")  # a cursor starts in the in-memory database
            return cursor.sql(sql, params=params).pl()
        finally:
            cursor.close()

    def threshold(self) -> int:
        return int(self._frame("select threshold from stats.about", [])["threshold"][0])

    def school_years(self) -> list[str]:
        frame = self._frame("select distinct school_year from stats.pupils order by 1 desc", [])
        return frame["school_year"].to_list()

    def pupils(self, school_year: str) -> pl.DataFrame:
        return self._frame("select * from stats.pupils where school_year = ?", [school_year])

    def exam_results(self, school_year: str) -> pl.DataFrame:
        return self._frame("select * from stats.exam_results where school_year = ?", [school_year])

    def attendance(self, school_year: str) -> pl.DataFrame:
        return self._frame("select * from stats.attendance where school_year = ?", [school_year])


def _key(column: str) -> pl.Expr:
    return pl.col(column).fill_null(TOTAL)


def pupils_by_region(pupils: pl.DataFrame, sex: str | None) -> pl.DataFrame:
    """Regions (and the national total, key ``_total``) x cycles (and their total) for one sex
    (``None``: both). Null = suppressed."""
    rows = pupils.filter(
        pl.col("province_code").is_null(),
        pl.col("sex").is_null() if sex is None else pl.col("sex") == sex,
    )
    return _pivot(rows, "region_code", "pupils")


def pupils_by_province(pupils: pl.DataFrame, region_code: str) -> pl.DataFrame:
    """The provinces of a region (and the region, key ``_total``) x cycles (and their total), both sexes."""
    rows = pupils.filter(pl.col("region_code") == region_code, pl.col("sex").is_null())
    return _pivot(rows, "province_code", "pupils")


_HIDDEN = -1  # a suppressed count while pivoting (a cell absent from the store is a true zero)


def _pivot(rows: pl.DataFrame, row_key: str, value: str) -> pl.DataFrame:
    order = (
        rows.select(_key("cycle_code").alias("cycle"), pl.col("cycle_order").fill_null(99))
        .unique()
        .sort("cycle_order")
    )
    wide = rows.select(
        _key(row_key).alias("row"), _key("cycle_code").alias("cycle"), pl.col(value).fill_null(_HIDDEN)
    ).pivot(on="cycle", index="row", values=value)
    columns = [c for c in order["cycle"].to_list() if c in wide.columns]
    return wide.select("row", *(pl.col(c).fill_null(0).replace(_HIDDEN, None) for c in columns)).sort(
        pl.col("row") == TOTAL, "row"
    )


def exam_table(results: pl.DataFrame, certificate_code: str) -> pl.DataFrame:
    """Regions (and ``_total``) x candidates and pass rate by sex (``F``, ``M``, ``_total``)."""
    rows = results.filter(pl.col("certificate_code") == certificate_code).select(
        _key("region_code").alias("row"),
        _key("sex").alias("sex"),
        pl.col("candidates").fill_null(_HIDDEN),
        pl.col("pass_rate").fill_null(_HIDDEN),
    )
    wide = rows.pivot(on="sex", index="row", values=["candidates", "pass_rate"])
    out = [pl.col("row")]
    for measure in ("candidates", "pass_rate"):
        for sex in ("F", "M", TOTAL):
            name = f"{measure}_{sex}"
            if name not in wide.columns:  # no candidate of that sex anywhere: zero, no rate
                out.append(pl.lit(0 if measure == "candidates" else None, pl.Float64).alias(name))
            elif measure == "candidates":  # absent = no candidate
                out.append(pl.col(name).fill_null(0).replace(_HIDDEN, None).alias(name))
            else:  # absent = no candidate: no rate
                out.append(pl.col(name).replace(_HIDDEN, None).alias(name))
    return wide.select(out).sort(pl.col("row") == TOTAL, "row")


def attendance_table(attendance: pl.DataFrame) -> pl.DataFrame:
    """Regions (and ``_total``) x classified, chronically absent, chronic-absence and attendance rates."""
    return attendance.select(
        _key("region_code").alias("row"),
        "pupils_classified",
        "chronically_absent",
        "chronic_absence_rate",
        "attendance_rate",
    ).sort(pl.col("row") == TOTAL, "row")
