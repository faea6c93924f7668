"""Property-based tests of reading exports: from a valid generated pupils file, derive a variant (name,
compression, encoding, line ends, separator, header spellings, quoting, blank lines, ragged rows) and
check, for every variant, that the file is accounted for, that lines in = accepted + quarantined +
rejected, and, where the variant is lossless, that the accepted values are the clean file's.

The expected outcome of each variant is derived here from how it was made (which lines were made
ragged, how many blank lines were added), not from the reader. A bounded number of examples runs in the
default suite; ``-m slow`` runs many more."""

from __future__ import annotations

import gzip
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.loader import dry_run

Y, R = "2024-2025", "01"
COLUMNS = ["school_year", "region_code", "student_code", "last_name_ar", "first_name_ar", "last_name_fr",
           "first_name_fr", "sex", "birth_date", "guardian_name"]  # fmt: skip
# Other spellings a clerk's export may use for some headers (the contract's aliases, differently cased,
# accented or spaced): a lossless change.
SPELLINGS = {
    "school_year": ["Année Scolaire", "ANNEE_SCOLAIRE", "annee scolaire"],
    "student_code": ["Code Massar", "CODE_MASSAR", "cne"],
    "sex": ["Sexe", "genre"],
    "birth_date": ["Date de naissance", "DATE_NAISSANCE"],
    "guardian_name": ["Nom du tuteur", "tuteur"],
}
# (with separators, quotes and a line break, which the file quotes as a CSV writer does)
LATIN = st.sampled_from(
    ["Alaoui", "Bennani", "Hélène", "Gérard", "Zoé", "Idrissi", "Aït Ali", "Salma", "Ben Ali, Said",
     "El Idrissi; Fatima", 'Le "Sage"', "Alaoui\nBennani", "Tab\tZ"]
)  # fmt: skip
ARABIC = st.sampled_from(["العلوي", "سلمى", "بناني", "ادريسي", "فاطمة"])


@st.composite
def pupils(draw: st.DrawFn) -> list[list[str]]:
    n = draw(st.integers(min_value=1, max_value=8))
    codes = draw(st.lists(st.integers(0, 999_999_999), min_size=n, max_size=n, unique=True))
    rows = []
    for code in codes:
        day, month, year = draw(st.integers(1, 28)), draw(st.integers(1, 12)), draw(st.integers(2008, 2019))
        guardian = draw(st.one_of(st.just(""), LATIN))
        rows.append([
            Y, R, f"A{code:09d}", draw(ARABIC), draw(ARABIC), draw(LATIN), draw(LATIN),
            draw(st.sampled_from(["M", "F"])), f"{day:02d}/{month:02d}/{year}", guardian,
        ])  # fmt: skip
    return rows


@dataclass
class Variant:
    name: str
    encoding: str
    line_end: str
    separator: str
    compression: str
    quote_all: bool
    spellings: dict[str, str]
    order: list[int]
    blank_after: list[int]  # insert a blank line after these data rows
    ragged: dict[int, int]  # data row -> fields added (+) or removed (-)


@st.composite
def variants(draw: st.DrawFn, rows: int, latin_only: bool) -> Variant:
    encodings = ["utf-8", "utf-8-sig", "utf-16", "cp1256"] + (["latin-1"] if latin_only else [])
    spellings = {
        c: draw(st.sampled_from([c, *choices])) for c, choices in SPELLINGS.items() if draw(st.booleans())
    }
    ragged = draw(
        st.dictionaries(st.integers(0, rows - 1), st.sampled_from([-2, -1, 1, 2]), max_size=min(rows, 3))
    )
    return Variant(
        name=draw(st.sampled_from(["pupils.csv", "PUPILS.CSV", "Pupils.csv"])),
        encoding=draw(st.sampled_from(encodings)),
        line_end=draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"])),
        separator=draw(st.sampled_from([";", ",", "\t"])),
        compression=draw(st.sampled_from(["", "gzip", "zip", "gzip-as-csv"])),
        quote_all=draw(st.booleans()),
        spellings=spellings,
        order=draw(st.permutations(range(len(COLUMNS)))),
        blank_after=draw(st.lists(st.integers(0, rows - 1), max_size=3)),
        ragged=ragged,
    )


def written(row: list[str], k: int, v: Variant) -> list[str]:
    """The fields written for data row ``k``: in the variant's order, with fields added or removed."""
    fields = [row[i] for i in v.order]
    extra = v.ragged.get(k, 0)
    return fields + ["x"] * extra if extra > 0 else fields[:extra] if extra < 0 else fields


def render(rows: list[list[str]], v: Variant) -> tuple[str, bytes]:
    """The variant's file name and bytes, and nothing else: the expectations are derived apart."""
    header = [v.spellings.get(c, c) for c in COLUMNS]

    def quoted(field: str) -> str:
        if v.quote_all or any(ch in field for ch in (v.separator, '"', "\n", "\r")):
            return '"' + field.replace('"', '""') + '"'
        return field

    def line(fields: list[str]) -> str:
        return v.separator.join(quoted(f) for f in fields)

    lines = [line([header[i] for i in v.order])]
    for k, row in enumerate(rows):
        lines.append(line(written(row, k, v)))
        lines += [""] * v.blank_after.count(k)
    ends = ["\r\n", "\r", "\n"] if v.line_end == "mixed" else [v.line_end]
    # (mixed: a blank line ends with CRLF, else a CR before it and its LF would make one CRLF)
    text = "".join(
        line + ("\r\n" if v.line_end == "mixed" and not line else ends[i % len(ends)])
        for i, line in enumerate(lines)
    )
    data = text.encode(v.encoding)
    name = v.name
    if v.compression == "gzip":
        data, name = gzip.compress(data), name + ".gz"
    elif v.compression == "gzip-as-csv":
        data = gzip.compress(data)
    elif v.compression == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("export.csv", data)
        data, name = buffer.getvalue(), name.rsplit(".", 1)[0] + ".zip"
    return name, data


def check(rows: list[list[str]], v: Variant) -> None:
    name, data = render(rows, v)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / Y / R
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
        outcomes = dry_run([folder], None)
    # every file accounted for, lines in = accepted + quarantined + rejected
    assert len(outcomes) == 1
    record = outcomes[0].record
    assert record.status == "loaded", record.message
    assert record.rows_in == record.rows_accepted + record.rows_quarantined + record.rows_rejected
    assert record.rows_in == len(rows)
    assert record.blank_lines == len(v.blank_after)
    # ragged rows quarantined as such, on their physical line; the others accepted with the clean values
    quarantine = outcomes[0].quarantined
    accepted = outcomes[0].accepted
    assert quarantine is not None and accepted is not None
    physical = {}
    line = 2
    for k, row in enumerate(rows):
        physical[k] = line
        line += 1 + sum(f.count("\n") for f in written(row, k, v)) + v.blank_after.count(k)
    expected_q = {
        physical[k]: "too_many_fields" if extra > 0 else "too_few_fields" for k, extra in v.ragged.items()
    }
    # a last line with fewer fields is taken for a cut transfer
    last = len(rows) - 1
    if v.ragged.get(last, 0) < 0:
        expected_q[physical[last]] = "truncated_line"
    got = dict(zip(quarantine["_line_number"].to_list(), quarantine["reason_code"].to_list(), strict=True))
    assert got == expected_q
    clean = [
        (physical[k], *[None if f == "" else f for f in row])
        for k, row in enumerate(rows)
        if k not in v.ragged
    ]
    as_text = [pl.col(c).dt.strftime("%d/%m/%Y") if c == "birth_date" else pl.col(c) for c in COLUMNS]
    values = accepted.select("_line_number", *as_text).sort("_line_number")
    assert [tuple(r) for r in values.iter_rows()] == clean


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[list[str]], Variant]:
    rows = draw(pupils())
    latin_only = False
    return rows, draw(variants(len(rows), latin_only))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_variant_is_accounted_for(case: tuple[list[list[str]], Variant]) -> None:
    check(*case)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_variant_is_accounted_for_many(case: tuple[list[list[str]], Variant]) -> None:
    check(*case)
