"""Reading Massar export files into string-typed frames, tolerant of the formats real exports come in."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.contracts import Contract
from ingestion.errors import UnreadableFileError

# Encodings tried in order. UTF-8 (with or without BOM) first; Windows-1256 (Arabic Windows) next.
ENCODINGS = ("utf-8-sig", "cp1256")
EXPORT_NAME = re.compile(r"^(?P<entity>[a-z_]+?)(?:__(?P<period>[0-9A-Za-z-]+))?\.csv$")


@dataclass(frozen=True)
class ExportFile:
    """One export file located in ``exports/<school_year>/<region_code>/<entity>[__<period>].csv``."""

    path: Path
    relative_path: str
    school_year: str
    region_code: str
    entity: str
    period: str | None


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
    )


def batch_id_of(content: bytes) -> str:
    """A batch is identified by its content: loading the same bytes twice is loading them once."""
    return hashlib.sha256(content).hexdigest()[:24]


def _decode(content: bytes, path: str) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError(path, "unreadable_encoding", "not UTF-8 nor Windows-1256")


def read_batch(export: ExportFile, contract: Contract) -> RawBatch:
    """Read one export file into a string frame with canonical column names and ``_line_number``.

    Raises ``UnreadableFileError`` when the file cannot be read at all (encoding, empty, missing
    mandatory columns); the caller records it and goes on with the other files.
    """
    content = export.path.read_bytes()
    text, encoding = _decode(content, export.relative_path)
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise UnreadableFileError(export.relative_path, "empty_file", "the file is empty (no header)")
    header_line = text.split("\n", 1)[0]
    separator = ";" if header_line.count(";") >= header_line.count(",") else ","

    try:
        frame = pl.read_csv(
            io.StringIO(text),
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
        .with_columns(
            pl.all().str.strip_chars().replace("", None),
        )
        .with_row_index("_line_number", offset=2)
        .with_columns(pl.col("_line_number").cast(pl.Int64))
    )
    return RawBatch(
        export=export,
        batch_id=batch_id_of(content),
        frame=frame,
        encoding=encoding,
        unknown_columns=tuple(unknown),
    )
