"""Downloads of the internal pages: CSV for French Excel (``;``, decimal comma, UTF-8 byte-order mark) and
XLSX stamped with the source, the warehouse version, the filters and the date.

Files are read back with independent readers (``csv``, pandas, openpyxl); expected values come from the
frame given to the writer or from SQL on the published warehouse, never from the export code.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import polars as pl
import pytest
from page_test_support import Downloads, labels, run_page, sql, sql_value

from dashboards.app import PAGES
from dashboards.exports import csv_bytes, excel_bytes
from dashboards.scope import NATIONAL, Scope

PAGE_NAMES = [file.removesuffix(".py") for file, *_ in PAGES]

FRAME = pl.DataFrame(
    {
        "Région": ["Tanger-Tétouan-Al Hoceima", "الشرق"],
        "Élèves": [1234, 56],
        "Taux": [0.48712345, None],
        "Jour": [date(2025, 9, 18), date(2025, 10, 1)],
        "Jour saisi": [datetime(2025, 9, 18, 0, 0), datetime(2025, 10, 1, 0, 0)],
        "Chargé à": [datetime(2025, 9, 18, 6, 5), datetime(2025, 10, 1, 8, 30)],
    }
)


def test_csv_opens_in_french_excel_as_a_table() -> None:
    raw = csv_bytes(FRAME)
    assert raw.startswith("\ufeff".encode())  # UTF-8 byte-order mark: Excel reads the Arabic right
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Région", "Élèves", "Taux", "Jour", "Jour saisi", "Chargé à"]
    # a date has no time part, even stored as a timestamp at midnight; a real timestamp keeps its minutes
    assert rows[1] == [
        "Tanger-Tétouan-Al Hoceima",
        "1234",
        "0,4871",
        "2025-09-18",
        "2025-09-18",
        "2025-09-18 06:05",
    ]
    assert rows[2] == ["الشرق", "56", "", "2025-10-01", "2025-10-01", "2025-10-01 08:30"]
    back = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["Taux"].iloc[0] == pytest.approx(0.4871)
    assert back["Élèves"].tolist() == [1234, 56]


def test_xlsx_holds_numbers_and_its_stamp() -> None:
    stamp = [("Source", "marts.agg_x"), ("Version de l'entrepôt publié", "v2026"), ("Filtre · Région", "01")]
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(FRAME, "Tableau", "ar", stamp=stamp)))
    data, about = book.worksheets
    assert data.sheet_view.rightToLeft  # an Arabic workbook reads right to left
    assert [c.value for c in data[1]] == ["Région", "Élèves", "Taux", "Jour", "Jour saisi", "Chargé à"]
    assert data["B2"].value == 1234 and data["C2"].value == pytest.approx(0.4871)
    assert data["C3"].value is None
    assert [(a.value, b.value) for a, b in about.iter_rows(max_col=2)] == stamp


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    return Downloads(monkeypatch)


def _paged_list() -> None:
    """An app of one 23-row list, 10 rows a page (run by AppTest)."""
    import polars as pl

    from dashboards.exports import show_pages

    show_pages(pl.DataFrame({"n": list(range(1, 24))}), "paged", "fr", per_page=10)


def test_a_long_list_shows_a_page_at_a_time_and_downloads_every_row(downloads: Downloads) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_paged_list, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.dataframe[0].value["n"].tolist() == list(range(1, 11))
    assert at.caption[0].value == "Lignes 1 à 10 sur 23 (page 1 sur 3)."
    at.number_input(key="page_paged").set_value(3).run()
    assert at.dataframe[0].value["n"].tolist() == [21, 22, 23]
    assert at.caption[0].value == "Lignes 21 à 23 sur 23 (page 3 sur 3)."
    # every download holds the whole list, whatever the page shown
    text = downloads.content(at, "download_csv_paged").decode("utf-8-sig")
    assert [int(line) for line in text.splitlines()[1:]] == list(range(1, 24))


def test_inclusive_page_downloads_true_counts_with_stamp(published_home: Path, downloads: Downloads) -> None:
    """A region user downloads the page's table: the true counts per disability type (small ones too),
    read back from the CSV with ``;`` and decimal comma, and the XLSX stamped with version, year and date."""
    year = str(sql_value(published_home, "select max(school_year) from marts.agg_inclusive_education"))
    region = str(
        sql_value(
            published_home,
            "select region_code from marts.agg_inclusive_education where school_year = ? "
            "and disability_type is not null group by 1 order by sum(pupils), 1 limit 1",
            year,
        )
    )
    expected = dict(
        sql(
            published_home,
            "select disability_type, sum(pupils)::int from marts.agg_inclusive_education "
            "where school_year = ? and region_code = ? and disability_type is not null group by 1",
            year,
            region,
        )
    )
    at = run_page("inclusive_education", Scope("region", region_code=region), "fr")
    text = labels("fr")
    frame = pd.read_csv(
        io.BytesIO(downloads.content(at, "download_csv_incl_detail")),
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={text["incl.col.code"]: str},
    )
    by_type = frame[frame[text["incl.col.code"]].isin(list(expected))]
    assert (
        dict(zip(by_type[text["incl.col.code"]], by_type[text["incl.col.pupils"]], strict=True)) == expected
    )
    rates = frame[text["incl.col.absence"]].dropna()
    assert rates.dtype.kind == "f" and ((rates >= 0) & (rates <= 1)).all()

    book = openpyxl.load_workbook(io.BytesIO(downloads.content(at, "download_xlsx_incl_detail")))
    stamp = {a.value: b.value for a, b in book.worksheets[1].iter_rows(max_col=2)}
    version = (published_home / "warehouse" / "published" / "CURRENT").read_text().strip()
    assert stamp[text["export.about.version"]] == version.removesuffix(".duckdb")
    assert stamp[text["export.about.source"]] == "marts.agg_inclusive_education"
    assert stamp[f"{text['export.about.filter']} · {text['filter.school_year']}"] == year
    assert stamp[text["export.about.date"]] == datetime.now(UTC).date().isoformat()
    assert book.worksheets[0].cell(1, 1).value == text["incl.col.code"]


_YEARS = "select distinct school_year from marts.agg_enrollment_by_region order by 1 desc"


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_table_and_chart_can_be_downloaded(published_db: Path, page: str) -> None:
    """Each table and each chart of every internal page comes with a CSV and an XLSX download."""
    at = run_page(page, NATIONAL, "fr", deep_link=True)
    shown = len(at.get("plotly_chart")) + len(at.dataframe) + len(at.table)
    with duckdb.connect(str(published_db), read_only=True) as con:
        years = [r[0] for r in con.execute(_YEARS).fetchall()]
    for year in years[1:]:  # a programme without rows in the latest year: the latest year that has some
        if shown:
            break
        at = run_page(page, NATIONAL, "fr", {"year": year}, deep_link=True)
        shown = len(at.get("plotly_chart")) + len(at.dataframe) + len(at.table)
    ids = [b.proto.id for b in at.get("download_button")]
    csvs = [i for i in ids if "download_csv_" in i]
    xlsxs = [i for i in ids if "download_xlsx_" in i]
    assert shown and len(csvs) == len(xlsxs) == shown, (page, shown, ids)
