"""Reading Massar export files into string-typed frames, tolerant of the formats real exports come in.

Every file of a drop folder (``exports/<school_year>/<region_code>/``) is accounted for: a file whose
name is not an export name is still located (``ExportFile.name_problem`` says why its name is not
accepted) so that the loader rejects it by name instead of skipping it.

Reading a file: unwrap the compression (gzip, a zip holding one file; by content, whatever the name),
decode (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1256, Latin-1), turn CR and mixed line
ends into LF, sniff the separator (``;``, ``,`` or tab) on the header line, then parse. Clean files
(no quote, every line with the header's number of fields, no blank line) are parsed by polars and their
line numbers are their row numbers; the others (quotes, blank lines, ragged lines) by the ``csv``
module, line by line, which gives each record its physical line and field count.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import functools
import gzip
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from ingestion import calendar
from ingestion.contracts import CONTRACTS, Contract
from ingestion.errors import UnreadableFileError

# UTF-8 (with or without BOM) is tried first and strictly. Bytes that are not UTF-8 are either Windows-1256
# (Arabic Windows) or Latin-1 (French Windows): both decode any byte, so the choice is a heuristic, see
# ``guess_single_byte_encoding``.
ARABIC_SHARE_FOR_CP1256 = 0.3
EXPORT_NAME = re.compile(
    r"^(?P<entity>[a-z][a-z_]*?)(?:__(?P<period>[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9A-Za-z-]+))?"
    r"(?P<deleted>__deleted)?\.csv$"
)
DATE_PERIOD = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# The compressed forms of an export name: ``grades.csv.gz``, ``grades.csv.zip`` or ``grades.zip``.
COMPRESSED_NAMES = ((".csv.gz", ".csv", "gzip"), (".csv.zip", ".csv", "zip"), (".zip", ".csv", "zip"))
EXPECTED_NAMES = (
    "expected <entity>.csv (bulk), <entity>__<yyyy-mm-dd>.csv (daily drop) or "
    "<entity>__<yyyy-mm-dd>__deleted.csv (deletions), optionally compressed as .csv.gz or .zip"
)
BROWSER_COPY = re.compile(
    r"^(?P<stem>.+?)(?: ?\((?P<n>[0-9]+)\)| - (?:copie|copy)(?: [0-9]+)?)(?P<ext>\..+)?$"
)
LOOSE_DATED = re.compile(r"^(?P<entity>[a-z][a-z_]*?)[_ -]+(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})(?P<rest>.*)$")


TRUNCATED = "_truncated"
FIELDS = "_fields"  # the record's number of fields, when a record's count differs from the header's
EXTRA = "_extra"  # the fields beyond the header's, joined by the separator (kept in the quarantine)
UNBALANCED = "_unbalanced_quote"  # a record running over lines with the wrong number of fields
SLOW_CHUNK = 100_000


@dataclass(frozen=True)
class ExportFile:
    """One file of a drop folder ``exports/<school_year>/<region_code>/``: an export
    ``<entity>[__<period>][__deleted].csv`` (or its ``.csv.gz`` / ``.zip`` form), or a file whose name
    is not one (``name_problem`` says why; the loader rejects it by name)."""

    path: Path
    relative_path: str
    school_year: str
    region_code: str
    entity: str
    period: str | None
    deleted: bool = False
    name_problem: str | None = None

    @property
    def drop_date(self) -> date:
        """The drop date: the date in the file name of a daily drop, else the school year's first day."""
        if self.period and DATE_PERIOD.match(self.period):
            return date.fromisoformat(self.period)
        return calendar.first_day(self.school_year)

    @property
    def kind(self) -> str:
        if self.name_problem is not None:
            return f"unrecognised name {self.path.name}"
        return "deletions" if self.deleted else "rows"


@dataclass(frozen=True)
class RawBatch:
    """The rows of one file, every value a string (null for an empty field), with line numbers.

    ``row_checks``: (reason, message, failing expression) of the faults found while reading (ragged
    lines, values under an unrecognised header), checked by ``validate`` before the contract's checks.
    ``blank_lines``: lines skipped as blank (nothing but blanks and separators)."""

    export: ExportFile
    batch_id: str
    frame: pl.DataFrame
    encoding: str
    unknown_columns: tuple[str, ...]
    blank_lines: int = 0
    row_checks: tuple[tuple[str, str, pl.Expr], ...] = ()
    notes: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()  # unknown columns holding values, not loaded


def export_name(name: str) -> tuple[re.Match[str] | None, str | None]:
    """Match a file name against the export names, case-insensitively, compressed forms included."""
    lowered = name.lower()
    for suffix, plain, _ in COMPRESSED_NAMES:
        if lowered.endswith(suffix):
            return EXPORT_NAME.match(lowered[: -len(suffix)] + plain), suffix
    return EXPORT_NAME.match(lowered), None


def name_problem(name: str) -> tuple[str, str]:
    """Why a file name is not an export name, and the entity it most likely holds."""
    lowered = name.lower()
    copy = BROWSER_COPY.match(lowered)
    if copy is not None:
        original = copy["stem"] + (copy["ext"] or "")
        match, _ = export_name(original)
        if match is not None:
            return (
                f"`{name}` looks like a second copy of `{original}` (a browser's repeated download): "
                f"rename it to the export's name if it is a new export, or remove it; {EXPECTED_NAMES}",
                match["entity"],
            )
    dated = LOOSE_DATED.match(lowered)
    if dated is not None and dated["entity"] in CONTRACTS:
        meant = f"{dated['entity']}__{dated['day']}{dated['rest']}"
        return f"`{name}` is not an export name (did you mean `{meant}`?); {EXPECTED_NAMES}", dated["entity"]
    stem = re.split(r"[^a-z_]", lowered, maxsplit=1)[0] or lowered
    closest = difflib.get_close_matches(stem, sorted(CONTRACTS), n=1, cutoff=0.6)
    hint = f" (closest entity: {closest[0]})" if closest else ""
    return (
        f"`{name}` is not an export name{hint}; {EXPECTED_NAMES}; entities: {', '.join(sorted(CONTRACTS))}",
        closest[0] if closest else (stem or "unknown"),
    )


def locate(path: Path, exports_root: Path) -> ExportFile | None:
    """Locate a file of a drop folder; ``None`` when it is not in one (manifests, fault lists, which sit
    in the school-year folder). A file whose name is not an export name is returned with its
    ``name_problem``."""
    rel = path.relative_to(exports_root)
    if len(rel.parts) < 3:
        return None
    school_year, region_code = rel.parts[:2]
    if len(rel.parts) > 3:
        problem = (
            f"`{rel.as_posix()}` is in a sub-folder: export files go directly in <school_year>/<region>/"
        )
        return ExportFile(
            path, rel.as_posix(), school_year, region_code, "unknown", None, name_problem=problem
        )
    return export_file(path, rel.as_posix(), school_year, region_code)


def export_file(path: Path, relative_path: str, school_year: str, region_code: str) -> ExportFile:
    """The export a file holds, by its name, for a school year and region."""
    match, _ = export_name(path.name)
    if match is None:
        problem, entity = name_problem(path.name)
        return ExportFile(path, relative_path, school_year, region_code, entity, None, name_problem=problem)
    return ExportFile(
        path,
        relative_path,
        school_year,
        region_code,
        entity=match["entity"],
        period=match["period"],
        deleted=bool(match["deleted"]),
    )


def batch_id_of(content: bytes, export: ExportFile | None = None) -> str:
    """A batch is identified by its content: loading the same bytes twice is loading them once.

    The file's partition, entity and kind (rows or deletions) are hashed with the content, so that two
    identical files of different partitions (header-only files, for instance) are two batches, while the
    same content dropped twice in one partition, under any export name, is one. A file rejected for its
    name has its name hashed in too: renamed, it is a new batch and gets loaded."""
    digest = hashlib.sha256()
    if export is not None:
        digest.update(f"{export.school_year}/{export.region_code}/{export.entity}/{export.kind}\n".encode())
    digest.update(content)
    return digest.hexdigest()[:24]


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff"


def guess_single_byte_encoding(content: bytes) -> str:
    """Windows-1256 or Latin-1, for bytes that are not valid UTF-8.

    Both code pages decode every byte, so decoding cannot tell them apart. Windows-1256 keeps the French
    accented letters of Latin-1 (é, è, à, ç, ê, ô...) at the same byte values and puts Arabic letters on
    most other high bytes. So: decode the non-ASCII bytes as Windows-1256; when at least
    ``ARABIC_SHARE_FOR_CP1256`` of them are Arabic letters the file is Arabic Windows text, else Latin-1
    (a French-only export decodes to accented letters, very few Arabic ones).
    """
    counts = np.bincount(np.frombuffer(content, dtype=np.uint8), minlength=256)[0x80:]
    total = int(counts.sum())
    if total == 0:
        return "cp1256"
    arabic = sum(int(n) for b, n in enumerate(counts, 0x80) if n and _is_arabic(bytes([b]).decode("cp1256")))
    return "cp1256" if arabic / total >= ARABIC_SHARE_FOR_CP1256 else "latin-1"


UTF8_BOM = b"\xef\xbb\xbf"
BLANK = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # what bytes.isspace counts as blank
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 workbooks


def unwrap(content: bytes, path: str) -> tuple[bytes, str | None]:
    """The file's bytes once decompressed, and the compression found (by content, whatever the name)."""
    if content.startswith(GZIP_MAGIC):
        try:
            return gzip.decompress(content), "gzip"
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFileError(
                path, "corrupt_archive", f"gzip content that cannot be read: {exc}"
            ) from exc
    if content.startswith(ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and not m.filename.startswith("__MACOSX/")
                and not m.filename.endswith(".DS_Store")
            ]
            names = [m.filename for m in members]
            if "[Content_Types].xml" in names:
                raise UnreadableFileError(
                    path,
                    "not_csv",
                    "an Excel workbook (.xlsx), not a CSV export: save it as CSV (separator ;)",
                )
            if len(members) != 1:
                raise UnreadableFileError(
                    path,
                    "zip_members",
                    f"a zip archive must hold exactly one CSV file; this one holds {len(members)}"
                    + (f": {', '.join(names[:10])}" if names else ""),
                )
            return archive.read(members[0]), "zip"
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise UnreadableFileError(
                path, "corrupt_archive", f"zip content that cannot be read: {exc}"
            ) from exc
    if content.startswith(OLE_MAGIC):
        raise UnreadableFileError(
            path,
            "not_csv",
            "an Excel 97-2003 workbook (.xls), not a CSV export: save it as CSV (separator ;)",
        )
    return content, None


UTF16_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _utf16_without_bom(content: bytes) -> str | None:
    """UTF-16 text without a byte order mark: ASCII characters have a NUL byte on one side."""
    head = content[:2000]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _to_utf8(content: bytes, path: str) -> tuple[bytes, int, str]:
    """The file's bytes as UTF-8, where its text starts in them (after a BOM), and the encoding it came in.

    A UTF-8 file is returned as it is, BOM included (polars skips it), not copied: the large exports are
    UTF-8, and slicing the BOM off copies the whole file."""
    start = len(UTF8_BOM) if content.startswith(UTF8_BOM) else 0
    wide = next(((bom, enc) for bom, enc in UTF16_BOMS if content.startswith(bom)), None)
    if wide is None and not start and b"\x00" in content:  # memchr: UTF-8 and code pages have no NUL
        encoding = _utf16_without_bom(content)
        if encoding is None:
            raise UnreadableFileError(
                path,
                "binary_content",
                "the file holds NUL bytes: it is not a text export (a spreadsheet?)",
            )
        wide = (b"", encoding)
    if wide is not None:
        bom, encoding = wide
        try:
            text = content[len(bom) :].decode(encoding)
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                path,
                "unreadable_encoding",
                f"{encoding.upper()} text, invalid at byte {exc.start + len(bom)}",
            ) from exc
        return text.encode("utf-8"), 0, encoding
    try:
        # ASCII is UTF-8, and much cheaper to check than decoding.
        if not (content.isascii() if start == 0 else _ascii_from(content, start)):
            codecs.utf_8_decode(memoryview(content)[start:], "strict", True)
        return content, start, "utf-8-sig" if start else "utf-8"
    except UnicodeDecodeError as exc:
        if start:
            raise UnreadableFileError(
                path, "unreadable_encoding", f"UTF-8 byte order mark but invalid UTF-8 at byte {exc.start}"
            ) from exc
        # Valid UTF-8 letters before the first invalid byte: a UTF-8 file with a corrupt part, which a
        # code page would turn into wrong letters without a word. (A code-page file's first non-ASCII
        # bytes are hardly ever valid UTF-8, let alone several.)
        before = codecs.utf_8_decode(memoryview(content)[: exc.start], "strict", True)[0]
        if sum(1 for ch in before if ord(ch) > 0x7F) >= 3:
            line = content.count(b"\n", 0, exc.start) + 1
            raise UnreadableFileError(
                path,
                "unreadable_encoding",
                f"UTF-8 text with an invalid byte at line {line} (byte {exc.start}): re-export it as UTF-8",
            ) from exc
    encoding = guess_single_byte_encoding(content)
    return content.decode(encoding).encode("utf-8"), 0, encoding


def _ascii_from(content: bytes, start: int) -> bool:
    """Whether ``content[start:]`` is ASCII, without copying it."""
    tail = np.frombuffer(content, dtype=np.uint8, offset=start)
    return tail.size == 0 or int(tail.max()) < 0x80


def _line_ends(data: bytes, start: int) -> tuple[bytes, str, int]:
    """LF or CRLF files as they are; CR-only (old spreadsheet exports) and mixed line ends turned to LF.
    Also returns the number of CR left (to check that a CRLF file has one per line).

    Told from the header line's end, one ``in`` test (memchr) and, for a CRLF file, one numpy count:
    a file whose header ends with CRLF is taken for CRLF, and the fast parse checks that it holds one CR
    per line; if not (bare CR line ends among CRLF ones), the line reader, which takes a bare CR for a
    line end, reads it."""
    if b"\r" not in data:
        return data, "LF", 0
    header_end = data.find(b"\n", start)
    if header_end > start and data[header_end - 1] == 13 and data.find(b"\r", start) == header_end - 1:
        view = np.frombuffer(data, dtype=np.uint8, offset=start)
        return data, "CRLF", int(np.count_nonzero(view == 13))
    normalised = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return normalised, "CR" if b"\n" not in data else "mixed", 0


def truncated_last_line(content: bytes, separator: bytes) -> bool:
    """Whether the file's last line was cut: it lacks the final line end although the file's lines end
    with one (CRLF or LF), or it has fewer fields than the header. A clean last line is never flagged."""
    first_end = content.find(b"\n")
    if first_end < 0:
        return False  # header only, no line end at all: no data line
    header_fields = content.count(separator, 0, first_end) + 1
    end = len(content)
    while end > first_end + 1 and content[end - 1] in b"\r\n":
        end -= 1
    if end <= first_end + 1:
        return False  # no data line
    if not content.endswith(b"\n"):
        return True
    start = content.rfind(b"\n", first_end, end) + 1
    return content.count(separator, start, end) + 1 < header_fields


SEPARATORS = (";", ",", "\t")
SEP_LINE = re.compile(rb"sep=([;,\t|])")
SEPARATOR_NAMES = {";": "semicolon", ",": "comma", "\t": "tab"}


def _separator(header_line: bytes) -> str:
    """The separator the header holds most of (``;`` first on a tie)."""
    counts = [header_line.count(s.encode()) for s in SEPARATORS]
    return SEPARATORS[counts.index(max(counts))]


@functools.lru_cache(maxsize=4096)
def normalise_header(header: str) -> str:
    """A header as compared with the contract's spellings: lower case, accents dropped, blanks, dashes,
    dots and underscores as one ``_`` (``Type Contrôle`` -> ``type_controle``)."""
    text = unicodedata.normalize("NFKD", header.strip().lstrip("\ufeff").lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_.\-]+", "_", text).strip("_")


def header_spellings(contract: Contract) -> dict[str, str]:
    """Every accepted header spelling (normalised) -> canonical column name."""
    return {normalise_header(k): v for k, v in contract.header_aliases.items()}


def closest_column(header: str, contract: Contract, among: list[str]) -> str | None:
    """The contract column (of ``among``) whose name or alias is closest to ``header``, if any is close."""
    spellings = {s: c for s, c in header_spellings(contract).items() if c in among}
    key = normalise_header(header)
    for spelling, column in spellings.items():  # "note/20", "nom du tuteur": an alias with more to it
        if len(spelling) >= 3 and (key.startswith(spelling) or spelling in key.split("_")):
            return column
    found = difflib.get_close_matches(key, list(spellings), n=1, cutoff=0.6)
    return spellings[found[0]] if found else None


def count_data_lines(content: bytes) -> int:
    """The data lines of a file, best effort whatever its state: non-blank lines after the first (the
    header), once decompressed and decoded when that is possible. Used for rejected files."""
    with contextlib.suppress(UnreadableFileError):
        content, _ = unwrap(content, "")
    try:
        data, start, _ = _to_utf8(content, "")
    except UnreadableFileError:
        data, start = content, 0
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = io.BytesIO(memoryview(data)[start:])  # line by line: no list of every line of a large file
    return max(0, sum(1 for line in lines if line.strip(b" \t\r\n\x0b\x0c\x1a;,")) - 1)


def _header(data: bytes, start: int) -> tuple[int, int, str, int]:
    """Where the header starts and its physical line (after Excel's ``sep=;`` line, if any), the
    separator (declared, or sniffed from the first non-blank line), and the header's number of fields."""
    header_end = data.find(b"\n", start)
    header_line = data[start:] if header_end < 0 else data[start:header_end]
    first_line = 1
    declared = SEP_LINE.fullmatch(header_line.rstrip(b"\r"))
    if declared is not None and header_end > 0:  # Excel's "sep=;" line: the separator, then the header
        start, first_line = header_end + 1, 2
        header_end = data.find(b"\n", start)
        header_line = data[start:] if header_end < 0 else data[start:header_end]
    sniffed = header_line
    while not sniffed.strip(b" \t\r\x1a") and header_end >= 0:  # blank lines before the header
        next_end = data.find(b"\n", header_end + 1)
        sniffed = data[header_end + 1 :] if next_end < 0 else data[header_end + 1 : next_end]
        header_end = next_end
    separator = declared[1].decode() if declared is not None else _separator(sniffed)
    return start, first_line, separator, sniffed.count(separator.encode()) + 1


@dataclass
class _Columns:
    """How a file's headers map to the contract: canonical renames, unknown headers, absent contract
    columns, suspect columns (an unknown header like an absent column, with data: renamed
    ``_unrecognised_<i>``, its rows quarantined) with their row checks, and the unknown columns ignored
    (with data) or empty."""

    renames: dict[str, str]
    unknown: list[str]
    absent: list[str]
    suspect_cols: dict[str, str]
    row_checks: list[tuple[str, str, pl.Expr]]
    ignored: list[str]
    empty: list[str]


def _columns(frame: pl.DataFrame, contract: Contract, path: str, header_fields: int) -> _Columns:
    """The file's headers matched to the contract; raises ``UnreadableFileError`` on two headers for one
    column or a missing required column (with hints: the closest column of an unknown header, a
    single-field header)."""
    header_names = [
        c for c in frame.columns if c not in ("_line_number", TRUNCATED, FIELDS, EXTRA, UNBALANCED)
    ]
    spellings = header_spellings(contract)
    # (null counts of unknown columns only: counting is not free on the large files)
    has_data = {
        c: frame.height > frame.get_column(c).null_count()
        for c in header_names
        if normalise_header(c) not in spellings
    }
    renames: dict[str, str] = {}
    unknown: list[str] = []
    for col in header_names:
        canonical = spellings.get(normalise_header(col))
        if canonical is None:
            unknown.append(col)
        elif canonical in renames.values():
            raise UnreadableFileError(path, "duplicate_header", f"two headers map to column {canonical!r}")
        else:
            renames[col] = canonical
    present = set(renames.values())
    absent = [c for c in contract.column_names if c not in present]
    suspects = {col: closest_column(col, contract, absent) for col in unknown}
    missing = [c.name for c in contract.columns if c.required and c.name not in present]
    if missing:
        hints = [f"unrecognised column `{u}` (closest: `{c}`)" for u, c in suspects.items() if c]
        if header_fields == 1 and len(header_names) == 1:
            hints.append("the header is a single field: separator not recognised (expected ; , or tab)")
        raise UnreadableFileError(
            path,
            "missing_columns",
            f"missing column(s) {', '.join(missing)} for {contract.name}"
            + (f"; {'; '.join(hints)}" if hints else "")
            + f"; headers found: {', '.join(header_names)}",
        )
    # An unrecognised header that looks like an absent contract column: its values would be lost, so
    # the rows that have one are quarantined; other unknown columns are ignored and named.
    row_checks: list[tuple[str, str, pl.Expr]] = []
    suspect_cols: dict[str, str] = {}
    for i, (col, closest) in enumerate(suspects.items()):
        if closest is not None and has_data[col]:
            name = f"_unrecognised_{i}"
            suspect_cols[col] = name
            row_checks.append(
                (
                    "unrecognised_column",
                    f"unrecognised column `{col}` (closest: `{closest}`)",
                    pl.col(name).is_not_null(),
                )
            )
    ignored = [c for c in unknown if c not in suspect_cols and has_data[c]]
    empty = [c for c in unknown if c not in suspect_cols and not has_data[c]]
    return _Columns(renames, unknown, absent, suspect_cols, row_checks, ignored, empty)


def _without_blank_rows(frame: pl.DataFrame, value_cols: list[str]) -> tuple[pl.DataFrame, int]:
    """The frame without its blank rows (nothing but blanks and separators: no data), and their number."""
    # (a blank row is null in every column: when one column has no null, there is none)
    if not frame.height or frame.get_column(value_cols[0]).null_count() == 0:
        return frame, 0
    empty_row = pl.all_horizontal([pl.col(c).is_null() for c in value_cols])
    if EXTRA in frame.columns:
        empty_row = empty_row & pl.col(EXTRA).is_null()
    blanks = frame.select(empty_row.sum()).item()
    if blanks:
        frame = frame.filter(~empty_row)
        if TRUNCATED in frame.columns and not frame.get_column(TRUNCATED).any():
            frame = frame.drop(TRUNCATED)
    return frame, blanks


def _field_checks(frame: pl.DataFrame, header_fields: int) -> list[tuple[str, str, pl.Expr]]:
    """The row checks of the lines with another number of fields than the header (slow read only)."""
    if FIELDS not in frame.columns:
        return []
    checks = [
        ("too_many_fields", f"the line has more fields than the header's {header_fields}",
         pl.col(FIELDS) > header_fields),
        ("too_few_fields", f"the line has fewer fields than the header's {header_fields}",
         pl.col(FIELDS) < header_fields),
    ]  # fmt: skip
    if UNBALANCED in frame.columns:
        checks.insert(0, (
            "unbalanced_quote",
            "a quoted field runs over several lines and the line has the wrong number of fields: "
            "a quote is not closed (the lines it ran over are in this row's raw values)",
            pl.col(UNBALANCED),
        ))  # fmt: skip
    return checks


def read_batch(
    export: ExportFile, contract: Contract, raw: bytes | None = None, batch_id: str | None = None
) -> RawBatch:
    """Read one export file into a string frame with canonical column names and ``_line_number``.

    Raises ``UnreadableFileError`` when the file cannot be read at all (compression, encoding, empty,
    missing mandatory columns); the caller records it and goes on with the other files. A cut last line
    is flagged in the boolean column ``_truncated`` (present only then); a line with another number of
    fields than the header in ``_fields`` (present only then). ``raw``: the file's bytes (and
    ``batch_id`` their hash), when the caller has them already.
    """
    path = export.relative_path
    content = export.path.read_bytes() if raw is None else raw
    batch_id = batch_id_of(content, export) if batch_id is None else batch_id
    content, compression = unwrap(content, path)
    # ``data[start:]`` is the text (``start`` skips a UTF-8 BOM, which polars skips too).
    data, start, encoding = _to_utf8(content, path)
    if BLANK.fullmatch(data, start):
        raise UnreadableFileError(path, "empty_file", "the file is empty (no header)")
    data, line_ends, crs = _line_ends(data, start)
    start, first_line, separator, header_fields = _header(data, start)
    fast_possible = b'"' not in data and first_line == 1 and separator in SEPARATORS
    frame = _fast_read(data, start, separator, header_fields, crs) if fast_possible else None
    blank = 0
    notes = [f"encoding {encoding}"]
    if compression:
        notes.append(f"{compression} compressed")
    if line_ends in ("CR", "mixed"):
        notes.append(f"{line_ends} line ends")
    if separator != ";":
        notes.append(f"{SEPARATOR_NAMES.get(separator, repr(separator))}-separated")
    fast = frame is not None
    if frame is None:
        frame, blank, header_fields = _slow_read(data, start, separator, path, first_line)
        notes.append("read line by line (quotes, blank or ragged lines)")
    cols = _columns(frame, contract, path, header_fields)
    if cols.empty:
        notes.append(f"ignored empty unknown column(s) {', '.join(cols.empty) or '(no header)'}")
    if cols.suspect_cols:
        notes.append(
            f"unrecognised column(s) {', '.join(f'`{c}`' for c in cols.suspect_cols)}: "
            "rows with a value quarantined"
        )
    specials = [c for c in ("_line_number", TRUNCATED, FIELDS, EXTRA, UNBALANCED) if c in frame.columns]
    value_cols = contract.column_names + list(cols.suspect_cols.values())
    frame = (
        frame.rename({**cols.renames, **cols.suspect_cols})
        .with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in cols.absent])
        .select(*contract.column_names, *cols.suspect_cols.values(), *specials)
        .with_columns(_cleaned(data, value_cols))
    )
    if fast:
        # Numbered after the selection: numbering polars' many-chunk frame first costs ten times more.
        frame = frame.with_row_index("_line_number", offset=2)
        if truncated_last_line(data, separator.encode()) and frame.height:
            frame = frame.with_columns((pl.int_range(pl.len()) == frame.height - 1).alias(TRUNCATED))
    frame = frame.with_columns(pl.col("_line_number").cast(pl.Int64))
    frame, blanks = _without_blank_rows(frame, value_cols)
    blank += blanks
    row_checks = _field_checks(frame, header_fields) + cols.row_checks
    if blank:
        notes.append(f"{blank} blank line(s) skipped")
    if cols.ignored:
        notes.append(f"ignored unknown column(s) {', '.join(cols.ignored)}")
    return RawBatch(
        export=export,
        batch_id=batch_id,
        frame=frame,
        encoding=encoding,
        unknown_columns=tuple(cols.unknown),
        blank_lines=blank,
        row_checks=tuple(row_checks),
        notes=tuple(notes),
        ignored_columns=tuple(cols.ignored),
    )


def _fast_read(
    data: bytes, start: int, separator: str, header_fields: int, crs: int = 0
) -> pl.DataFrame | None:
    """polars' parse of a file without quotes, when every line is one record with the header's number
    of fields (the last one may be cut: ``truncated_last_line``); ``None`` when it is not so.

    polars refuses a line with too many fields (``truncate_ragged_lines=False``) and gives one row per
    line otherwise (a blank line as a row of nulls), so the lines have at most the header's number of
    separators; then the file holds ``(fields - 1) * lines`` of them exactly when no line has fewer
    (nor is blank). Counted with one numpy comparison, a small fraction of the parse."""
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=separator,
            infer_schema=False,
            truncate_ragged_lines=False,
            quote_char='"',
        )
    except pl.exceptions.PolarsError:
        return None
    view = np.frombuffer(data, dtype=np.uint8, offset=start)
    if data.endswith((b"\n\n", b"\n\r\n")):
        return None  # blank lines at the end, which polars may drop: counted by the line reader
    # polars gives a row per line (a blank one included), so the lines are the rows and the header
    lines = frame.height + 1
    last_start = data.rfind(b"\n", start, len(data) - 1) + 1
    last = np.frombuffer(data, dtype=np.uint8, offset=max(last_start, start))
    separators = int(np.count_nonzero(view == ord(separator)))
    last_separators = int(np.count_nonzero(last == ord(separator)))
    if lines <= 1:
        return frame if frame.height == 0 else None
    if separators - last_separators != (header_fields - 1) * (lines - 1):
        return None
    if not data[max(last_start, start) :].strip(b" \t\r\n\x0b\x0c\x1a" + separator.encode()):
        return None  # a blank last line (an end-of-file mark): counted by the line reader
    if crs and crs != lines - (0 if data.endswith(b"\n") else 1):
        return None  # a CRLF file with bare CR line ends too
    if len(set(frame.columns)) != len(frame.columns) or any(
        c.startswith("_duplicated_") for c in frame.columns
    ):
        return None  # repeated header names: let the line reader name them
    return frame


BLANK_CHARS = " \t\r\n\x0b\x0c\x1a\xa0"  # blanks, and the end-of-file mark of old DOS exports


def _slow_read(
    data: bytes, start: int, separator: str, path: str, first_line: int = 1
) -> tuple[pl.DataFrame, int, int]:
    """Read the file record by record with the ``csv`` module: quotes (separators and line breaks in
    quoted fields), blank lines (skipped, counted), records with another number of fields than the
    header (padded or cut to the header, their count in ``_fields``, the extra fields in ``_extra``).
    Each record's ``_line_number`` is the physical line it starts on (header = ``first_line``).
    A line without the fields of the header's empty trailing names (a header ending with a separator)
    is not ragged: no value is lost or shifted. (A line with more fields is, even when the extra ones are
    empty: a field inserted in the middle looks the same.) Returns the frame, the blank lines and the
    header's number of fields."""
    text = data[start:].decode("utf-8")
    if text.count("\r") != text.count("\r\n"):  # CRLF lines mixed with bare CR ones
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
    blank = 0
    header: list[str] | None = None
    names: list[str] = []
    rows: list[list[str | None]] = []  # the rows not yet in ``parts`` (bounded: Python strings are big)
    parts: list[pl.DataFrame] = []
    line_numbers: list[int] = []
    fields: list[int] = []
    extras: list[str | None] = []
    unbalanced: list[int] = []  # wrong number of fields, and a field holding lines of fields
    previous = 0  # lines read before the record (the reader counts from the start of ``text``)
    width = required = 0
    try:
        for record in reader:
            line, span, previous = previous + first_line, reader.line_num - previous, reader.line_num
            if not record or all(not f.strip(BLANK_CHARS) for f in record):
                blank += 1
                continue
            if header is None:
                header = record
                names = _unique_names(header)
                width = required = len(header)
                while required > 1 and not header[required - 1].strip():
                    required -= 1
                continue
            n = len(record)
            if required <= n < width:
                n = width
            if span > 1 and n != width and any("\n" in f and separator in f for f in record):
                unbalanced.append(len(line_numbers))  # a field swallowed lines: an unclosed quote
            line_numbers.append(line)
            fields.append(n)
            extras.append(separator.join(record[width:]) if n > width else None)
            values = record[:width] + [""] * (width - len(record))
            rows.append([v if v != "" else None for v in values])
            if len(rows) == SLOW_CHUNK:
                parts.append(pl.DataFrame(rows, schema=[(c, pl.String) for c in names], orient="row"))
                rows.clear()
    except csv.Error as exc:
        raise UnreadableFileError(
            path, "unparseable_csv", f"cannot parse CSV at line {reader.line_num}: {exc}"
        ) from exc
    if header is None:
        raise UnreadableFileError(path, "empty_file", "the file is empty (no header)")
    parts.append(pl.DataFrame(rows, schema=[(c, pl.String) for c in names], orient="row"))
    frame = pl.concat(parts).with_columns(pl.Series("_line_number", line_numbers, dtype=pl.Int64))
    if any(n != width for n in fields):
        frame = frame.with_columns(
            pl.Series(FIELDS, fields, dtype=pl.Int64), pl.Series(EXTRA, extras, dtype=pl.String)
        )
    if unbalanced:
        flags = pl.Series(UNBALANCED, [False] * frame.height).scatter(unbalanced, True)
        frame = frame.with_columns(flags)
    last = len(line_numbers) - 1
    if line_numbers and (not text.endswith("\n") or fields[-1] < width) and last not in unbalanced:
        last_blank = (
            not text.rsplit("\n", 1)[-1].strip(BLANK_CHARS + separator) if not text.endswith("\n") else False
        )
        if not last_blank:
            frame = frame.with_columns((pl.int_range(pl.len()) == frame.height - 1).alias(TRUNCATED))
    return frame, blank, width


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for name in header:
        if name in seen:
            seen[name] += 1
            names.append(f"{name}_duplicated_{seen[name] - 1}")
        else:
            seen[name] = 1
            names.append(name)
    return names


def _cleaned(data: bytes, columns: list[str]) -> list[pl.Expr]:
    """Trim blanks around fields, and make an empty field null.

    polars reads an unquoted empty field as null already, so both steps can change a value only when the
    file holds a blank (space or tab) or a quote (``""``). One ``in`` test over the bytes (memchr, far
    cheaper than the CSV parse) tells, and a file without either (the large grade and absence exports)
    skips both passes over every string."""
    if b" " in data or b"\t" in data:
        return [pl.col(columns).str.strip_chars(" \t").replace("", None)]
    if b'"' in data:
        return [pl.col(columns).replace("", None)]
    return []


def deletion_contract(contract: Contract) -> Contract:
    """What a deletion file holds: the contract's primary-key columns only, checked like the full rows."""
    keys = [contract.column(c) for c in contract.primary_key]
    for partition in reversed(contract.partition_by):
        if partition not in contract.primary_key:
            keys.insert(0, contract.column(partition))
    return replace(contract, columns=tuple(keys), foreign_keys=(), rules=())
