"""The only module of the dashboards that touches DuckDB.

Which warehouse: ``<MASSAR_HOME>/warehouse/published/CURRENT`` names the current published version
(``v20261129T034500Z``, or its file name ``v20261129T034500Z.duckdb``), a file in the same folder,
opened read-only.
``CURRENT`` is re-read on every call of :func:`published_warehouse` (a tiny file), and every query
result is cached under the path of the version it was read from: a new publish is picked up at the
next page run, and results of the previous version are never served for it.

Rules:
- parameterized queries only (``?`` placeholders); SQL text is constant, values never go into it;
- results are polars frames (copies: cached results are returned by value);
- every query takes the user's ``Scope`` (``dashboards.scope``) and filters by it in SQL: a request for a
  region outside the scope raises ``ScopeError``; province and school users are served from the
  pupil-grain fact filtered to their province or school, never from region totals.

Raises :class:`NoPublishedWarehouse` when nothing is published; pages show a message then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import polars as pl
import streamlit as st

from dashboards.scope import Scope
from massar.settings import paths

CURRENT_FILE: Final[str] = "CURRENT"
QUERY_TTL_SECONDS: Final[int] = 600
VERSION_SUFFIX: Final[str] = ".duckdb"
_VERSION_RE: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class NoPublishedWarehouse(RuntimeError):
    """No published warehouse version exists (yet) under ``MASSAR_HOME``."""


@dataclass(frozen=True)
class PublishedWarehouse:
    """The current published version: its name (file stem) and its file."""

    version: str
    path: Path


def published_warehouse() -> PublishedWarehouse | None:
    """The version named by ``warehouse/published/CURRENT``; ``None`` if there is none or it is broken.

    ``CURRENT`` holds one name: the version (``v20261129T034500Z``, as ``warehouse/publish.py`` writes it)
    or the file name (``v20261129T034500Z.duckdb``); either way a bare name in the same folder.
    """
    published_dir = paths().published_dir
    try:
        name = (published_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not _VERSION_RE.fullmatch(name):  # a bare name in the same folder, nothing else
        return None
    version = name.removesuffix(VERSION_SUFFIX)
    path = published_dir / f"{version}{VERSION_SUFFIX}"
    if not path.is_file():
        return None
    return PublishedWarehouse(version=version, path=path)


def published_version() -> str | None:
    """Name of the current published version (``v20261129T034500Z``), or ``None`` if nothing is published."""
    current = published_warehouse()
    return current.version if current else None


def _require_published() -> PublishedWarehouse:
    current = published_warehouse()
    if current is None:
        raise NoPublishedWarehouse(f"no published warehouse under {paths().published_dir}")
    return current


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False, on_release=_close)
def _connection(db_file: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version file, shared by sessions (queries use cursors)."""
    return duckdb.connect(db_file, read_only=True)


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=512, show_spinner=False)
def _query(db_file: str, sql: str, params: tuple[object, ...]) -> pl.DataFrame:
    """Run one parameterized query on a published version; cached by (version file, SQL, parameters)."""
    cursor = _connection(db_file).cursor()  # a cursor per query: connections are shared across threads
    try:
        return cursor.sql(sql, params=list(params)).pl()
    finally:
        cursor.close()


def _run(sql: str, *params: object) -> pl.DataFrame:
    return _query(str(_require_published().path), sql, tuple(params))


def clear_caches() -> None:
    """Forget cached results and close cached connections (used by tests between warehouses)."""
    _query.clear()
    _connection.clear()


# ------------------------------------------------------------------------------------------ scoping

# Enrollment counts per school year × region × cycle × sex, as seen by a scope. Constant SQL fragments;
# values are always bound parameters.
_ENROLLMENT_BY_REGION = """
    select school_year, region_code, cycle_code, sex, pupils
    from marts.agg_enrollment_by_region
    where (cast(? as varchar) is null or region_code = ?)
"""
_ENROLLMENT_WITHIN_REGION = """
    select school_year, region_code, cycle_code, sex, count(*) as pupils
    from marts.fct_enrollment
    where region_code = ?
        and (cast(? as varchar) is null or province_code = ?)
        and (cast(? as varchar) is null or school_code = ?)
    group by all
"""


def _enrollment_source(scope: Scope, region: str | None) -> tuple[str, tuple[object, ...]]:
    """The enrollment counts a scope may see (raises ``ScopeError`` for a region outside it)."""
    region_code = scope.region_filter(region)
    if scope.finer_than_region:
        params = (region_code, scope.province_code, scope.province_code, scope.school_code, scope.school_code)
        return _ENROLLMENT_WITHIN_REGION, params
    return _ENROLLMENT_BY_REGION, (region_code, region_code)


# --------------------------------------------------------------------------------------------- reference


def school_years(*, scope: Scope, region: str | None = None) -> list[str]:
    """School years with enrollment data in the scope, latest first (``2025-2026``)."""
    source, params = _enrollment_source(scope, region)
    df = _run(
        f"with src as ({source}) select distinct school_year from src order by school_year desc", *params
    )
    return [str(y) for y in df["school_year"].to_list()]


def regions(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """The regions the scope sees (all 12, or one): ``region_code, iso_3166_2, name_fr, name_ar``."""
    region_code = scope.region_filter(region)
    return _run(
        """
        select region_code, iso_3166_2, name_fr, name_ar
        from reference.regions
        where (cast(? as varchar) is null or region_code = ?)
        order by region_code
        """,
        region_code,
        region_code,
    )


def cycles() -> pl.DataFrame:
    """The cycles in teaching order: ``cycle_code, cycle_order, label_fr, label_ar`` (reference data)."""
    return _run(
        """
        select cycle_code, cycle_order, label_fr, label_ar
        from reference.cycles
        order by cycle_order, cycle_code
        """
    )


# ------------------------------------------------------------------------------------------- enrollment


def pupils_by_region(
    school_year: str,
    cycle: str | None = None,
    sex: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
) -> pl.DataFrame:
    """Pupils of one school year per region, optionally for one cycle and/or one sex (``F``/``M``).

    One row per region the scope sees (all 12 for national, zero when a region has no pupils):
    ``region_code, region_name_fr, region_name_ar, pupils, girls, boys``.
    """
    source, params = _enrollment_source(scope, region)
    region_code = scope.region_filter(region)
    return _run(
        f"""
        with src as ({source})
        select
            r.region_code,
            r.name_fr as region_name_fr,
            r.name_ar as region_name_ar,
            coalesce(sum(a.pupils), 0)::bigint as pupils,
            coalesce(sum(a.pupils) filter (where a.sex = 'F'), 0)::bigint as girls,
            coalesce(sum(a.pupils) filter (where a.sex = 'M'), 0)::bigint as boys
        from reference.regions as r
        left join src as a
            on a.region_code = r.region_code
            and a.school_year = ?
            and (cast(? as varchar) is null or a.cycle_code = ?)
            and (cast(? as varchar) is null or a.sex = ?)
        where (cast(? as varchar) is null or r.region_code = ?)
        group by r.region_code, r.name_fr, r.name_ar
        order by r.region_code
        """,
        *params,
        school_year,
        cycle,
        cycle,
        sex,
        sex,
        region_code,
        region_code,
    )


def pupils_by_region_cycle_sex(school_year: str, *, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """Pupils of one school year per region × cycle × sex (summed over sector and area).

    ``region_code, region_name_fr, region_name_ar, cycle_code, cycle_order, cycle_label_fr,
    cycle_label_ar, sex, pupils``; only combinations that have pupils.
    """
    source, params = _enrollment_source(scope, region)
    return _run(
        f"""
        with src as ({source})
        select
            a.region_code,
            any_value(r.name_fr) as region_name_fr,
            any_value(r.name_ar) as region_name_ar,
            a.cycle_code,
            any_value(c.cycle_order) as cycle_order,
            coalesce(any_value(c.label_fr), a.cycle_code) as cycle_label_fr,
            coalesce(any_value(c.label_ar), a.cycle_code) as cycle_label_ar,
            a.sex,
            sum(a.pupils)::bigint as pupils
        from src as a
        left join reference.regions as r on r.region_code = a.region_code
        left join reference.cycles as c on c.cycle_code = a.cycle_code
        where a.school_year = ?
        group by a.region_code, a.cycle_code, a.sex
        order by a.region_code, cycle_order, a.cycle_code, a.sex
        """,
        *params,
        school_year,
    )


def school_count(cycle: str | None = None, *, scope: Scope, region: str | None = None) -> int:
    """Schools in ``marts.dim_school`` (latest known attributes) within the scope, optionally of one cycle."""
    region_code = scope.region_filter(region)
    df = _run(
        """
        select count(*) as schools
        from marts.dim_school
        where (cast(? as varchar) is null or cycle_code = ?)
            and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
        """,
        cycle,
        cycle,
        region_code,
        region_code,
        scope.province_code,
        scope.province_code,
        scope.school_code,
        scope.school_code,
    )
    return int(df["schools"][0])
