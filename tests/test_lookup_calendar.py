"""The exam calendar of the parent lookup, on the store the real pipeline published: each pupil sees the
certificate papers of their level (regional ones as dated in their region) and their class's unified
tests, checked against independent SQL on the published warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from lookup_fixtures import published_store

from dashboards.public.store import ServingStore


@pytest.fixture(scope="module")
def cards(published_home: Path) -> pl.DataFrame:
    path = published_store(published_home, "parent_lookup.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(
            "select student_code, school_year, school_code, level_code, class_code, exam_calendar"
            " from lookup.card"
        ).pl()


def _sql(db: Path, sql: str, params: list[object] | None = None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql, params=params or []).pl()


def test_certificate_papers_of_the_level_in_the_region(cards: pl.DataFrame, published_db: Path) -> None:
    papers = _sql(
        published_db,
        """
        select r.school_year, e.level_code, e.exam_code, r.exam_session, r.subject_code, r.exam_date,
               case when e.scope = 'regional' then r.region_code end as region_code
        from staging.stg_massar__exam_results r
        join reference.code_exams e using (exam_code)
        where r.exam_date is not null and r.exam_year is null  -- not an earlier year's exam carried
        """,
    )
    regions = dict(_sql(published_db, "select school_code, region_code from marts.dim_school").rows())
    checked = 0
    for code, year, school, level, _cls, calendar in cards.rows():
        rows = [c for c in calendar if c["kind"] == "certificate"]
        mine = papers.filter(
            pl.col("school_year") == year,
            pl.col("level_code") == level,
            pl.col("region_code").is_null() | (pl.col("region_code") == regions.get(school)),
        )
        expected = {
            tuple(k) for k in mine.select("exam_code", "exam_session", "subject_code").unique().rows()
        }
        got = {(c["exam_code"], c["exam_session"], c["subject_code"]) for c in rows}
        assert got == expected, code
        for c in rows:  # the date shown is a date on which that paper was sat there
            dates = mine.filter(
                pl.col("exam_code") == c["exam_code"],
                pl.col("exam_session") == c["exam_session"],
                pl.col("subject_code") == c["subject_code"],
            )["exam_date"]
            assert c["exam_date"] in dates.to_list(), (code, c)
        checked += bool(rows)
    assert checked > 0  # some pupils of the tiny country are in an exam level


def test_unified_tests_of_the_class(cards: pl.DataFrame, published_db: Path) -> None:
    tests = _sql(
        published_db,
        """
        select g.school_year, g.class_code, g.semester, g.subject_code,
               list(distinct g.assessment_date) as dates
        from marts.fct_grade g
        join reference.code_assessment_types a using (assessment_type)
        where a.kind = 'unified' and g.assessment_date is not null
        group by all
        """,
    )
    by_class: dict[tuple[str, str], dict[tuple[int, str], list[object]]] = {}
    for year, cls, semester, subject, dates in tests.rows():
        by_class.setdefault((year, cls), {})[(semester, subject)] = dates
    checked = 0
    for code, year, _school, _level, cls, calendar in cards.rows():
        rows = [c for c in calendar if c["kind"] == "unified"]
        expected = by_class.get((year, cls), {})
        assert {(c["semester"], c["subject_code"]) for c in rows} == set(expected), code
        for c in rows:
            assert c["exam_date"] in expected[(c["semester"], c["subject_code"])], (code, c)
        checked += bool(rows)
    assert checked > 0


def test_the_store_returns_the_calendar_in_date_order(cards: pl.DataFrame, published_home: Path) -> None:
    store = ServingStore(published_store(published_home, "parent_lookup.duckdb"))
    try:
        code = next(c for c, *_rest, calendar in cards.rows() if len(calendar) > 1)
        card = store.card(code)
        assert card is not None and card.pupil["student_code"] == code
        dates = card.exam_calendar["exam_date"].to_list()
        assert dates == sorted(dates) and len(dates) > 1
        assert {"exam_fr", "exam_ar", "subject_fr", "subject_ar"} <= set(card.exam_calendar.columns)
    finally:
        store.close()
