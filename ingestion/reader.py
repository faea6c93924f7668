"""Reading Massar export files into string-typed frames, tolerant of the formats real exports come in."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from ingestion import calendar
from ingestion.contracts import Contract
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


TRUNCATED = "_truncated"


@dataclass(frozen=True)
class ExportFile:
    """One export file located in ``exports/<school_year>/<region_code>/<entity>[__<period>].csv``."""

    path: Path
    relative_path: str
    school_year: str
    region_code: str
    entity: str
    period: str | None
    deleted: bool = False

    @property
    def drop_date(self) -> date:
        """The drop date: the date in the file name of a daily drop, else the school year's first day."""
        if self.period and DATE_PERIOD.match(self.period):
            return date.fromisoformat(self.period)
        return calendar.first_day(self.school_year)

    @property
    def kind(self) -> str:
        return "deletions" if self.deleted else "rows"


@dataclass(frozen=True)
class RawBatch:
    """The rows of one file, every value a string (null for an empty field), with line numbers."""

    export: ExportFile
    batch_id: str
    frame: pl.DataFrame
    encoding: str
    unknown_columns: tuple[str, ...]


def locate(path: Path, exports_root: Path) -> ExportFile | None:
    """Parse an export path; ``None`` when the file is not an entity export (manifests, fault lists)."""
    match = EXPORT_NAME.match(path.name)
    if match is None:
        return None
    rel = path.relative_to(exports_root)
    if len(rel.parts) != 3:
        return None
    school_year, region_code, _ = rel.parts
    return ExportFile(
        path=path,
        relative_path=rel.as_posix(),
        school_year=school_year,
        region_code=region_code,
        entity=match["entity"],
        period=match["period"],
        deleted=bool(match["deleted"]),
    )


def batch_id_of(content: bytes, export: ExportFile | None = None) -> str:
    """A batch is identified by its content: loading the same bytes twice is loading them once.

    The file's partition, entity and kind (rows or deletions) are hashed with the content, so that two
    identical files of different partitions (header-only files, for instance) are two batches, while the
    same content dropped twice in one partition, under any name, is one."""
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


def _to_utf8(content: bytes, path: str) -> tuple[bytes, int, str]:
    """The file's bytes as UTF-8, where its text starts in them (after a BOM), and the encoding it came in.

    A UTF-8 file is returned as it is, BOM included (polars skips it), not copied: the large exports are
    UTF-8, and slicing the BOM off copies the whole file."""
    start = len(UTF8_BOM) if content.startswith(UTF8_BOM) else 0
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
    encoding = guess_single_byte_encoding(content)
    return content.decode(encoding).encode("utf-8"), 0, encoding


def _ascii_from(content: bytes, start: int) -> bool:
    """Whether ``content[start:]`` is ASCII, without copying it."""
    tail = np.frombuffer(content, dtype=np.uint8, offset=start)
    return tail.size == 0 or int(tail.max()) < 0x80


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


def read_batch(
    export: ExportFile, contract: Contract, raw: bytes | None = None, batch_id: str | None = None
) -> RawBatch:
    """Read one export file into a string frame with canonical column names and ``_line_number``.

    Raises ``UnreadableFileError`` when the file cannot be read at all (encoding, empty, missing
    mandatory columns); the caller records it and goes on with the other files. A cut last line is
    flagged in the boolean column ``_truncated`` (present only then). ``raw``: the file's bytes (and
    ``batch_id`` their hash), when the caller has them already.
    """
    content = export.path.read_bytes() if raw is None else raw
    batch_id = batch_id_of(content, export) if batch_id is None else batch_id
    # ``data[start:]`` is the text (``start`` skips a UTF-8 BOM, which polars skips too).
    data, start, encoding = _to_utf8(content, export.relative_path)
    if BLANK.fullmatch(data, start):
        raise UnreadableFileError(export.relative_path, "empty_file", "the file is empty (no header)")
    header_end = data.find(b"\n", start)
    header_line = data[start:] if header_end < 0 else data[start:header_end]
    separator = ";" if header_line.count(b";") >= header_line.count(b",") else ","
    truncated = truncated_last_line(data, separator.encode())

    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=separator,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        raise UnreadableFileError(
            export.relative_path, "unparseable_csv", f"cannot parse CSV: {exc}"
        ) from exc

    aliases = contract.header_aliases
    renames: dict[str, str] = {}
    unknown: list[str] = []
    for col in frame.columns:
        canonical = aliases.get(col.strip().lower())
        if canonical is None:
            unknown.append(col)
        elif canonical in renames.values():
            raise UnreadableFileError(
                export.relative_path, "duplicate_header", f"two headers map to column {canonical!r}"
            )
        else:
            renames[col] = canonical
    present = set(renames.values())
    missing = [c.name for c in contract.columns if c.required and c.name not in present]
    if missing:
        raise UnreadableFileError(
            export.relative_path,
            "missing_columns",
            f"missing column(s) {', '.join(missing)} for {contract.name}",
        )
    # Optional columns an export leaves out are read as empty.
    absent_optional = [c for c in contract.column_names if c not in present]
    frame = (
        frame.rename(renames)
        .with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in absent_optional])
        .select(contract.column_names)
        .with_columns(_cleaned(data))
        .with_row_index("_line_number", offset=2)
        .with_columns(pl.col("_line_number").cast(pl.Int64))
    )
    if truncated and frame.height:
        last = frame.height - 1
        frame = frame.with_columns((pl.int_range(pl.len()) == last).alias(TRUNCATED))
    return RawBatch(
        export=export,
        batch_id=batch_id,
        frame=frame,
        encoding=encoding,
        unknown_columns=tuple(unknown),
    )


def _cleaned(data: bytes) -> list[pl.Expr]:
    """Trim blanks around fields, and make an empty field null.

    polars reads an unquoted empty field as null already, so both steps can change a value only when the
    file holds a blank (space or tab) or a quote (``""``). One ``in`` test over the bytes (memchr, far
    cheaper than the CSV parse) tells, and a file without either (the large grade and absence exports)
    skips both passes over every string."""
    if b" " in data or b"\t" in data:
        return [pl.all().str.strip_chars(" \t").replace("", None)]
    if b'"' in data:
        return [pl.all().replace("", None)]
    return []


def deletion_contract(contract: Contract) -> Contract:
    """What a deletion file holds: the contract's primary-key columns only, checked like the full rows."""
    keys = [contract.column(c) for c in contract.primary_key]
    for partition in reversed(contract.partition_by):
        if partition not in contract.primary_key:
            keys.insert(0, contract.column(partition))
    return replace(contract, columns=tuple(keys), foreign_keys=(), rules=())
