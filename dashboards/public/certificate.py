"""The school certificate (attestation de scolarité / شهادة مدرسية) as a bilingual PDF, and its
verification code.

The verification code is an HMAC-SHA-256, under the server's certificate key
(``massar.settings.keys.server_key("certificate")``, never in the repository), of the fields the certificate
attests (pupil code, names, school, level, class, school year) and its issue date: 100 bits, written in
five groups of four symbols (``7KQ2-M9XA-...``). Without the key nobody can make a valid code; with the
Massar code, the issue date and the code, the public "verify a certificate" page recomputes it.

Arabic is shaped and ordered by HarfBuzz through fpdf2's text shaping (``uharfbuzz``), in DejaVu Sans,
which covers both scripts (cut down to the Latin and Arabic blocks: ``dashboards.public.fonts``). The
Arabic certificate puts Arabic first; the French one, French.
"""

from __future__ import annotations

import base64
import functools
import hmac
import os
from datetime import date

from dashboards.pdf import SIGNATURE_SPACE, Writer, ltr, new_document
from massar.settings.hashing import hmac_sha256
from massar.settings.keys import env_name, key_path, server_key

KEY_NAME = "certificate"
CODE_BITS = 100
#: the pupil's fields a school document attests (the certificate, the report card's identity)
ATTESTED_FIELDS = (
    "student_code",
    "first_name_fr",
    "last_name_fr",
    "first_name_ar",
    "last_name_ar",
    "school_code",
    "level_code",
    "class_code",
    "school_year",
)


@functools.cache
def _key(_env: str, _path: str) -> bytes:
    return server_key(KEY_NAME)


def certificate_key() -> bytes:
    return _key(os.environ.get(env_name(KEY_NAME), ""), str(key_path(KEY_NAME)))


def signed_code(fields: list[str], issued: date, key: bytes | None = None) -> str:
    """A document's code: HMAC-SHA-256, under the certificate key, of its ``fields`` and issue date,
    100 bits in base32, in groups of four."""
    message = "\x1f".join([*fields, issued.isoformat()]).encode()
    digest = hmac_sha256(key or certificate_key(), message)
    symbols = base64.b32encode(digest).decode()[: CODE_BITS // 5]
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def verification_code(pupil: dict[str, object], issued: date, key: bytes | None = None) -> str:
    """The certificate's code: :func:`signed_code` of its fields (:data:`ATTESTED_FIELDS`)."""
    return signed_code([str(pupil.get(f) or "") for f in ATTESTED_FIELDS], issued, key)


def normalise_code(code: str) -> str:
    """A typed code as printed: upper case, groups of four (spaces, hyphens and case ignored)."""
    kept = "".join(ch for ch in (code or "")[:64] if ch.isalnum()).upper()
    return "-".join(kept[i : i + 4] for i in range(0, len(kept), 4))


def code_matches(pupil: dict[str, object] | None, issued: date, typed: str) -> bool:
    """True when ``typed`` is the code of a certificate of ``pupil`` issued on ``issued``. An unknown
    pupil costs the same HMAC (on empty fields) and gets False."""
    expected = verification_code(pupil or {}, issued)
    return hmac.compare_digest(expected, normalise_code(typed)) and pupil is not None


def _ltr(value: object) -> str:
    """A code or a year inside Arabic text, kept left to right (Unicode isolate)."""
    return ltr(value, rtl=True)


def certificate_pdf(pupil: dict[str, object], issued: date | None = None, lang: str = "fr") -> bytes:
    """A one-page certificate for ``pupil`` (a row of ``lookup.pupil``), issued on ``issued`` (today by
    default), Arabic first when ``lang`` is ``ar``."""
    issued = issued or date.today()
    code = verification_code(pupil, issued)
    pdf = new_document("شهادة مدرسية" if lang == "ar" else "Attestation de scolarité")
    pdf.add_page()
    header = {
        "fr": [("Royaume du Maroc — Ministère de l'Éducation nationale", 11, False)],
        "ar": [("المملكة المغربية — وزارة التربية الوطنية", 11, False)],
    }
    title = {"fr": ("ATTESTATION DE SCOLARITÉ", 18, True), "ar": ("شهادة مدرسية", 18, True)}
    body = {
        "fr": [
            f"Élève : {pupil['first_name_fr']} {pupil['last_name_fr']}",
            f"Code Massar : {pupil['student_code']}",
            f"Établissement : {pupil['school_name_fr']} ({pupil['school_code']})",
            f"Niveau : {pupil['level_fr']} — classe {pupil['class_code']}",
            f"Année scolaire : {pupil['school_year']}",
        ],
        "ar": [
            f"التلميذ(ة): {pupil['first_name_ar']} {pupil['last_name_ar']}",
            f"رمز مسار: {_ltr(pupil['student_code'])}",
            f"المؤسسة: {pupil['school_name_ar']} {_ltr('(' + str(pupil['school_code']) + ')')}",
            f"المستوى: {pupil['level_ar']} — القسم {_ltr(pupil['class_code'])}",
            f"السنة الدراسية: {_ltr(pupil['school_year'])}",
        ],
    }
    footer = {
        "fr": [
            f"Fait le {issued.strftime('%d/%m/%Y')}, pour servir et valoir ce que de droit.",
            "Le directeur de l'établissement (signature et cachet) :",
        ],
        "ar": [
            f"حررت بتاريخ {_ltr(issued.strftime('%d/%m/%Y'))}، لتسليمها للمعني(ة) بالأمر بطلب منه(ا).",
            "مدير(ة) المؤسسة (التوقيع والخاتم):",
        ],
    }
    verify = {
        "fr": f"Code de vérification : {code} (à vérifier sur la page « Vérifier un document »)",
        "ar": f"رمز التحقق: {_ltr(code)} (للتحقق: صفحة «التحقق من وثيقة»)",
    }
    order = ("ar", "fr") if lang == "ar" else ("fr", "ar")
    writers = {part: Writer(pdf, part, leading=0.7) for part in order}
    for part in order:
        for text, size, bold in header[part]:
            writers[part].line(text, size=size, bold=bold)
    pdf.ln(8)
    for part in order:
        text, size, bold = title[part]
        writers[part].line(text, size=size, bold=bold)
    pdf.ln(6)
    for part in order:
        for text in body[part]:
            writers[part].line(text, size=12)
        pdf.ln(4)
    pdf.ln(6)
    for part in order:
        for text in footer[part]:
            writers[part].line(text, size=11)
        pdf.ln(2)
    pdf.ln(SIGNATURE_SPACE)
    for part in order:
        writers[part].line(verify[part], size=9)
    return bytes(pdf.output())
