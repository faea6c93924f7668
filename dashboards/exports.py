"""Downloads of a page's table (CSV, Excel) and the decimal format of ratios; pages call these to render.

The exported numbers are the raw values (rates as shares in [0, 1], ratios unrounded), under the column
headers of the page's language; an Arabic workbook is laid out right to left.
"""

from __future__ import annotations

import io

import polars as pl
import xlsxwriter

from dashboards.i18n import is_rtl

#: CSV starts with a UTF-8 byte-order mark: spreadsheet programs then read the Arabic labels correctly
CSV_BOM = "\ufeff"


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a byte-order mark), comma-separated, ``.`` as decimal point."""
    return (CSV_BOM + frame.write_csv()).encode("utf-8")


def excel_bytes(frame: pl.DataFrame, sheet: str, lang: str) -> bytes:
    """The frame as an .xlsx workbook with one sheet (right to left for Arabic)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet[:31])  # Excel's limit on sheet names
    if is_rtl(lang):
        worksheet.right_to_left()
    frame.write_excel(workbook=workbook, worksheet=worksheet, autofit=True, float_precision=4)
    workbook.close()
    return buffer.getvalue()


def fmt_decimal(value: float | None, lang: str, digits: int = 1) -> str:
    """A decimal number (``6,5`` in French, ``6.5`` in Arabic); ``–`` if undefined."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text
