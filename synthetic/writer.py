"""The Massar export format: typed frames -> French-locale CSV text, files, manifest and fault list.

CSV dialect (docs/architecture.md): UTF-8 with BOM, ``;`` separator, CRLF line ends, never quoted,
decimal comma with one decimal (``12,5``, ``8,0``), dates ``dd/mm/yyyy``, booleans ``1``/``0``,
empty field = null, header = the contract's column names in contract order.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.contracts import Contract

BOM = b"\xef\xbb\xbf"
SEPARATOR = ";"
LINE_END = "\r\n"
DATE_FORMAT = "%d/%m/%Y"
FAULTS_HEADER = ("path", "line", "entity", "fault_class")
_FORBIDDEN = r'[;"\r\n]'


def _float_text(column: str) -> pl.Expr:
    tenths = (pl.col(column) * 10).round(0).cast(pl.Int64)
    magnitude = tenths.abs()
    sign = pl.when(tenths < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        [sign, (magnitude // 10).cast(pl.String), pl.lit(","), (magnitude % 10).cast(pl.String)]
    )


def format_frame(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Every contract column as text in the export format, in contract order (nulls stay null)."""
    missing = [c for c in contract.column_names if c not in frame.columns]
    extra = [c for c in frame.columns if c not in contract.column_names]
    if missing or extra:
        raise ValueError(
            f"{contract.name}: generated columns differ from the contract: missing {missing}, extra {extra}"
        )
    exprs = []
    for col in contract.columns:
        c = pl.col(col.name)
        if col.dtype == "string":
            e = c.cast(pl.String)
        elif col.dtype == "int":
            e = c.cast(pl.Int64).cast(pl.String)
        elif col.dtype == "float":
            e = _float_text(col.name)
        elif col.dtype == "date":
            e = c.cast(pl.Date).dt.strftime(DATE_FORMAT)
        elif col.dtype == "bool":
            e = pl.when(c.is_null()).then(None).when(c).then(pl.lit("1")).otherwise(pl.lit("0"))
        else:  # pragma: no cover - DType is a closed Literal
            raise ValueError(f"unknown dtype {col.dtype}")
        exprs.append(pl.when(c.is_null()).then(None).otherwise(e).alias(col.name))
    text = frame.select(exprs)
    free_text = [
        col.name
        for col in contract.columns
        if col.dtype == "string" and not (col.pattern or col.codelist or col.allowed)
    ]
    if free_text and text.height:
        bad = text.select(pl.any_horizontal(pl.col(free_text).str.contains(_FORBIDDEN)).any()).item()
        if bad:
            raise ValueError(f"{contract.name}: a text value holds a separator, quote or line break")
    return text


def render(text: pl.DataFrame, header: bool = True) -> bytes:
    """The CSV file's bytes: BOM, header, one CRLF-terminated line per row (``header=False``: the lines
    only, to append to a file already started)."""
    buffer = io.BytesIO()
    text.write_csv(
        buffer,
        include_bom=header,
        include_header=header,
        separator=SEPARATOR,
        line_terminator=LINE_END,
        quote_style="never",
        null_value="",
    )
    return buffer.getvalue()


@dataclass(frozen=True)
class WrittenFile:
    path: str  # relative to the export root, with forward slashes
    entity: str
    region_code: str
    rows: int
    sha256: str


class FileSink:
    """A file written in parts (the chunks of a region) and hashed as it is written: the first part
    replaces any file of that name. Used from one thread (the generator's writer thread)."""

    def __init__(self, root: Path, relative: str) -> None:
        self.target = root / relative
        self._hash = hashlib.sha256()
        self._started = False

    def write(self, data: bytes) -> None:
        if not self._started:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        with self.target.open("ab" if self._started else "wb") as f:
            f.write(data)
        self._started = True
        self._hash.update(data)

    def sha256(self) -> str:
        return self._hash.hexdigest()


def write_manifest(root: Path, school_year: str, seed: int, pupils: int, files: list[WrittenFile]) -> Path:
    """``<root>/<school_year>/manifest.json`` (files sorted by path)."""
    manifest = {
        "school_year": school_year,
        "seed": seed,
        "pupils": pupils,
        "files": [
            {
                "path": f.path,
                "entity": f.entity,
                "region_code": f.region_code,
                "rows": f.rows,
                "sha256": f.sha256,
            }
            for f in sorted(files, key=lambda f: f.path)
        ],
    }
    target = root / school_year / "manifest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )
    return target


def write_faults(root: Path, school_year: str, faults: list[tuple[str, int, str, str]]) -> Path:
    """``<root>/<school_year>/faults.csv``: ``path;line;entity;fault_class``, sorted by path and line.

    Plain UTF-8 without BOM, ``;`` separator, LF line ends (it is ground truth, not an export).
    """
    lines = [SEPARATOR.join(FAULTS_HEADER)]
    lines += [SEPARATOR.join((p, str(n), e, c)) for p, n, e, c in sorted(faults)]
    target = root / school_year / "faults.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return target
