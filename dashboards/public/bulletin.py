"""The semester report card (bulletin de notes / بيان النقط) as a PDF, in French or in Arabic, and its
verification code.

One document per pupil and semester, built from the pupil's card of the lookup store
(``dashboards.public.store.PupilCard``): identity, school, provincial directorate, level, class, school
year; each subject's average out of 20 with its coefficient, the semester's general average, the rank
in class ("3 / 28"), the end-of-year decision on the last semester's card, and the semester's absences
(sessions missed, of which justified). The French card is French only; the Arabic card is Arabic only,
right to left (labels, names, school and table columns mirrored), shaped by HarfBuzz with the
certificate's fonts (``dashboards.pdf``).

The verification code is an HMAC-SHA-256, under the same server key as the certificate's
(``server_key("certificate")``), of the card's fields (:func:`signed_fields`) and its issue date,
prefixed by the document kind so that a certificate's code never verifies as a card's: 100 bits in
five groups of four symbols. The public verify page recomputes it from the store for each semester.
"""

from __future__ import annotations

import base64
import hmac
from datetime import date
from typing import Any

from babel.numbers import format_decimal

from dashboards.i18n import t
from dashboards.pdf import Writer, ltr, new_document
from dashboards.public.certificate import CODE_BITS, certificate_key, normalise_code
from dashboards.public.store import PupilCard
from massar.settings.hashing import hmac_sha256

KIND = "bulletin"
SEMESTERS = (1, 2)
#: the semester whose card carries the end-of-year decision
LAST_SEMESTER = SEMESTERS[-1]
LOCALES = {"fr": "fr_MA", "ar": "ar_MA"}
_IDENTITY = (
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


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def bulletin_data(card: PupilCard, semester: int) -> dict[str, Any] | None:
    """The card's content for ``semester`` as plain values (JSON-able): ``None`` when the pupil has no
    result for that semester."""
    rows = [r for r in card.subject_results.to_dicts() if int(r["semester"]) == semester]
    if not rows:
        return None
    pupil = {k: v for k, v in card.pupil.items() if isinstance(v, str | int | float) or v is None}
    first = rows[0]
    subjects = [
        {
            "code": str(r["subject_code"]),
            "fr": r.get("subject_fr"),
            "ar": r.get("subject_ar"),
            "average": _number(r.get("average")),
            "coefficient": _number(r.get("coefficient")),
        }
        for r in rows
    ]
    missed = justified = 0
    for a in card.absences.to_dicts():
        if a.get("semester") is not None and int(a["semester"]) != semester:
            continue
        if a.get("semester") is None and semester != SEMESTERS[0]:
            continue  # a day outside the calendar counts once, on the first card
        sessions = int(a.get("sessions") or 0)
        missed += sessions
        if a.get("sessions_justified") is not None:
            justified += int(a["sessions_justified"])
        elif a.get("justified"):
            justified += sessions
    last = semester == LAST_SEMESTER and pupil.get("decision") is not None
    return {
        "pupil": pupil,
        "semester": semester,
        "subjects": subjects,
        "general_average": _number(first.get("general_average")),
        "rank": None if first.get("rank_in_class") is None else int(first["rank_in_class"]),
        "class_size": None if first.get("class_size") is None else int(first["class_size"]),
        "decision": pupil.get("decision") if last else None,
        "decision_fr": pupil.get("decision_fr") if last else None,
        "decision_ar": pupil.get("decision_ar") if last else None,
        "sessions_missed": missed,
        "sessions_justified": justified,
    }


def _two(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def signed_fields(data: dict[str, Any]) -> list[str]:
    """What the code attests, as text: identity, semester, each subject's code, average and coefficient
    (two decimals, as printed), general average, rank, decision, absences."""
    pupil = data.get("pupil") or {}
    subjects = sorted(data.get("subjects") or [], key=lambda s: s["code"])
    return [
        KIND,
        *(str(pupil.get(f) or "") for f in _IDENTITY),
        str(data.get("semester") or ""),
        ";".join(f"{s['code']}={_two(s['average'])}x{_two(s['coefficient'])}" for s in subjects),
        _two(data.get("general_average")),
        f"{data.get('rank') or ''}/{data.get('class_size') or ''}",
        str(data.get("decision") or ""),
        f"{data.get('sessions_missed') or 0}/{data.get('sessions_justified') or 0}",
    ]


def verification_code(data: dict[str, Any], issued: date, key: bytes | None = None) -> str:
    """HMAC-SHA-256 of :func:`signed_fields` and the issue date, 100 bits in base32, grouped by four."""
    message = "\x1f".join([*signed_fields(data), issued.isoformat()]).encode()
    digest = hmac_sha256(key or certificate_key(), message)
    symbols = base64.b32encode(digest).decode()[: CODE_BITS // 5]
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def matching_semester(card: PupilCard | None, issued: date, typed: str) -> int | None:
    """The semester whose card issued on ``issued`` has the code ``typed``, or None. The same work (one
    HMAC per semester) whether the pupil exists, has results or not."""
    found = None
    for semester in SEMESTERS:
        data = bulletin_data(card, semester) if card is not None else None
        expected = verification_code(data or {}, issued)
        if hmac.compare_digest(expected, typed) and data is not None:
            found = semester
    return found


def normalise(typed: str) -> str:
    """A typed code as printed (see ``certificate.normalise_code``)."""
    return normalise_code(typed)


def mark(value: float | None, lang: str) -> str:
    """Two decimals in the language's number format; a dash when missing."""
    return "–" if value is None else format_decimal(value, "0.00", locale=LOCALES[lang])


def _coefficient(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    return format_decimal(value, "0.##", locale=LOCALES[lang])


def bulletin_pdf(data: dict[str, Any], issued: date | None = None, lang: str = "fr") -> bytes:
    """A one-page report card of ``data`` (:func:`bulletin_data`), issued on ``issued`` (today by
    default), entirely in ``lang``."""
    issued = issued or date.today()
    code = verification_code(data, issued)
    p = data["pupil"]
    rtl = lang == "ar"

    def iso(value: object) -> str:  # a code, a year or a figure inside Arabic text
        return ltr(value, rtl)

    title = t("bulletin.title", lang, n=data["semester"])
    pdf = new_document(title)
    pdf.add_page()
    w = Writer(pdf, lang)
    w.line(t("bulletin.kingdom", lang), size=10)
    w.line(t("bulletin.ministry", lang), size=10)
    if p.get(f"direction_name_{lang}"):  # "Direction provinciale …" / "المديرية الإقليمية …"
        w.line(t("bulletin.directorate", lang, name=p[f"direction_name_{lang}"]), size=10)
    elif p.get(f"province_name_{lang}"):
        w.line(t("bulletin.province", lang, name=p[f"province_name_{lang}"]), size=10)
    school = p.get(f"school_name_{lang}") or ""
    w.line(t("bulletin.school", lang, name=school, code=iso(p["school_code"])), size=10)
    pdf.ln(5)
    w.line(title, size=17, bold=True, align="C")
    w.line(t("bulletin.year", lang, year=iso(p["school_year"])), size=11, align="C")
    pdf.ln(4)
    name = f"{p.get(f'first_name_{lang}') or ''} {p.get(f'last_name_{lang}') or ''}".strip()
    w.line(t("bulletin.pupil", lang, name=name), bold=True)
    w.line(t("bulletin.massar_code", lang, code=iso(p["student_code"])))
    w.line(t("bulletin.level_class", lang, level=p.get(f"level_{lang}") or "", cls=iso(p["class_code"])))
    pdf.ln(4)

    widths = [100.0, 35.0, 45.0]
    w.row(
        [t(f"bulletin.col.{c}", lang) for c in ("subject", "coefficient", "average")],
        widths,
        bold=True,
        fill=True,
    )
    for s in data["subjects"]:
        w.row(
            [
                s.get(lang) or s["code"],
                iso(_coefficient(s["coefficient"], lang)),
                iso(mark(s["average"], lang)),
            ],
            widths,
        )
    rank = "–" if data["rank"] is None else f"{data['rank']} / {data['class_size'] or '–'}"
    average = iso(mark(data["general_average"], lang))
    w.row([t("bulletin.general_average", lang), "", average], widths, bold=True, fill=True)
    w.row([t("bulletin.rank", lang), "", iso(rank)], widths, bold=True)
    pdf.ln(4)
    if data.get("decision"):
        decision = data.get(f"decision_{lang}") or data["decision"]
        w.line(t("bulletin.decision", lang, decision=decision), bold=True)
    missed, justified = data["sessions_missed"], data["sessions_justified"]
    w.line(
        t(
            "bulletin.absences",
            lang,
            missed=iso(missed),
            justified=iso(justified),
            unjustified=iso(missed - justified),
        )
    )
    pdf.ln(6)
    w.line(t("bulletin.issued", lang, day=iso(issued.strftime("%d/%m/%Y"))), size=10)
    w.line(t("bulletin.signature", lang), size=10)
    pdf.ln(22)  # room for the signature and the stamp
    w.line(t("bulletin.verify", lang, code=iso(code)), size=9)
    return bytes(pdf.output())
