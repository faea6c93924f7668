"""The school certificate (attestation de scolarité / شهادة مدرسية) as a bilingual PDF.

Arabic is shaped and ordered by HarfBuzz through fpdf2's text shaping (``uharfbuzz``), in DejaVu Sans,
which covers both scripts. The verification code lets a reader check the certificate with the school.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"


def _ltr(value: object) -> str:
    """A code or a year inside Arabic text, kept left to right (Unicode isolate)."""
    return f"\u2066{value}\u2069"


def _line(pdf: FPDF, text: str, rtl: bool, size: int = 12, bold: bool = False) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    if rtl:
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ara")
    else:
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    pdf.cell(0, size * 0.7, text, align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")


def certificate_pdf(pupil: dict[str, object]) -> bytes:
    """A one-page certificate for ``pupil`` (a row of ``lookup.pupil``)."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title("Attestation de scolarité")
    pdf.add_page()
    _line(pdf, "Royaume du Maroc — Ministère de l'Éducation nationale", rtl=False, size=11)
    _line(pdf, "المملكة المغربية — وزارة التربية الوطنية", rtl=True, size=11)
    pdf.ln(8)
    _line(pdf, "ATTESTATION DE SCOLARITÉ", rtl=False, size=18, bold=True)
    _line(pdf, "شهادة مدرسية", rtl=True, size=18, bold=True)
    pdf.ln(6)
    fr = [
        f"Élève : {pupil['first_name_fr']} {pupil['last_name_fr']}",
        f"Code Massar : {pupil['student_code']}",
        f"Établissement : {pupil['school_name_fr']} ({pupil['school_code']})",
        f"Niveau : {pupil['level_fr']} — classe {pupil['class_code']}",
        f"Année scolaire : {pupil['school_year']}",
    ]
    ar = [
        f"التلميذ(ة): {pupil['first_name_ar']} {pupil['last_name_ar']}",
        f"رمز مسار: {_ltr(pupil['student_code'])}",
        f"المؤسسة: {pupil['school_name_ar']}",
        f"المستوى: {pupil['level_ar']}",
        f"السنة الدراسية: {_ltr(pupil['school_year'])}",
    ]
    for text in fr:
        _line(pdf, text, rtl=False)
    pdf.ln(4)
    for text in ar:
        _line(pdf, text, rtl=True)
    pdf.ln(10)
    _line(pdf, f"Code de vérification : {pupil['verification_code']}", rtl=False, size=10)
    _line(pdf, f"رمز التحقق: {_ltr(pupil['verification_code'])}", rtl=True, size=10)
    return bytes(pdf.output())
