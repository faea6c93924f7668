"""The PDF machinery shared by the documents of the dashboards and the portal (report card, territory
profile): fpdf2 with HarfBuzz shaping (``uharfbuzz``) and the DejaVu Sans cut of
``dashboards.public.fonts`` (Latin and Arabic, shipped in the repository: no font is fetched), as the
school certificate (``dashboards.public.certificate``) uses them.

:class:`Writer` draws lines and table rows in one direction: an Arabic document runs right to left
(text right-aligned, the first column of a table on the right), a French one left to right.
"""

from __future__ import annotations

from fpdf import FPDF

from dashboards.public.fonts import subset_path


def new_document(title: str, orientation: str = "P") -> FPDF:
    """An A4 document with the two DejaVu faces (``DejaVu``, regular and bold) registered."""
    pdf = FPDF(orientation=orientation, format="A4")
    pdf.add_font("DejaVu", "", subset_path("DejaVuSans"))
    pdf.add_font("DejaVu", "B", subset_path("DejaVuSans-Bold"))
    pdf.set_title(title)
    pdf.set_creator("Massar Analytics")
    pdf.set_fill_color(235, 235, 235)
    return pdf


def ltr(value: object, rtl: bool) -> str:
    """A code, a year or a figure inside right-to-left text, kept left to right (Unicode isolate)."""
    return f"\u2066{value}\u2069" if rtl else str(value)


#: the blank height (mm) left above a document's verification line for the signature and the stamp
SIGNATURE_SPACE = 22


class Writer:
    """Lines and table rows in one direction: right to left (Arabic) or left to right (French).
    ``leading`` is a line's height as a share of its font size (in mm per point)."""

    def __init__(self, pdf: FPDF, lang: str, leading: float = 0.65) -> None:
        self.pdf = pdf
        self.rtl = lang == "ar"
        self.leading = leading

    def _shape(self) -> None:
        if self.rtl:
            self.pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ara")
        else:
            self.pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")

    def line(self, text: str, size: int = 11, bold: bool = False, align: str | None = None) -> None:
        self.pdf.set_font("DejaVu", "B" if bold else "", size)
        self._shape()
        self.pdf.cell(
            0,
            size * self.leading,
            text,
            align=align or ("R" if self.rtl else "L"),
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def paragraph(self, text: str, size: int = 8) -> None:
        """Text wrapped to the page's width."""
        self.pdf.set_font("DejaVu", "", size)
        self._shape()
        self.pdf.multi_cell(
            0, size * 0.5, text, align="R" if self.rtl else "L", new_x="LMARGIN", new_y="NEXT"
        )

    def row(
        self, cells: list[str], widths: list[float], bold: bool = False, fill: bool = False, size: int = 10
    ) -> None:
        """One table row; ``cells`` in reading order (the first column is on the right in Arabic), the
        first aligned to the text's start, the others centred."""
        self.pdf.set_font("DejaVu", "B" if bold else "", size)
        self._shape()
        first_align = "R" if self.rtl else "L"
        order = [
            (text, width, first_align if i == 0 else "C")
            for i, (text, width) in enumerate(zip(cells, widths, strict=True))
        ]
        if self.rtl:
            order.reverse()
        self.pdf.set_x(self.pdf.l_margin)
        for text, width, align in order:
            fitted = size
            while fitted > 6 and self.pdf.get_string_width(text) > width - 2:  # shrink to fit the cell
                fitted -= 1
                self.pdf.set_font_size(fitted)
            self.pdf.cell(width, size * 0.7, text, border=1, align=align, fill=fill)
            self.pdf.set_font_size(size)
        self.pdf.ln(size * 0.7)
