"""``massar verify``: is this home intact? The lake against its load log, and the published versions.

- **Lake** (``ingestion.integrity.check_lake``): every file the load log records exists, has its recorded
  size and SHA-256, reads as Parquet and holds the rows the log says; files that no record names are
  reported.
- **Published versions**: ``CURRENT`` names an existing version; every version opens read-only and holds
  its own publication record; every table of the current version reads in full (DuckDB checks its block
  checksums on the way); the serving stores exist and were built from the current version.
- A restore that did not finish (``warehouse.backup``) is reported.

Exit code 0 when all is well, 3 (``EXIT_DAMAGED``) otherwise; docs/operations.md says how to respond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.integrity import check_lake
from massar.settings import paths
from warehouse import serving
from warehouse.backup import restore_incomplete
from warehouse.publish import CurrentPointerError, current, validate_version, versions

#: A version name as ``warehouse.publish.new_version_name`` makes it.
VERSION_NAME = re.compile(r"v[0-9]{8}T[0-9]{12}Z")


@dataclass
class VerifyReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        out = [*self.lines]
        if self.problems:
            out.append(f"PROBLEMS ({len(self.problems)}):")
            out.extend(f"  {p}" for p in self.problems)
        else:
            out.append("all well")
        return "\n".join(out)


def _read_current(published: Path) -> tuple[str | None, str | None]:
    """(version named by CURRENT, problem): ``warehouse.publish.current``'s answer, or its complaint."""
    try:
        live = current(published)
    except CurrentPointerError as exc:
        return None, str(exc)
    return (live.version if live else None), None


def _table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent checksum of every base table (reads every column)."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
        "order by all"
    ).fetchall()
    out = {}
    for schema, name in tables:
        relation = f'"{schema}"."{name}"'  # names from the catalog, quoted
        count, checksum = con.execute(
            f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {relation} t"
        ).fetchall()[0]
        out[f"{schema}.{name}"] = (int(count), int(checksum))
    return out


def table_checksums(db: Path) -> dict[str, tuple[int, int]]:
    """``_table_checksums`` of a DuckDB file opened read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return _table_checksums(con)


def _check_store(path: Path, query: str, version: str, label: str) -> str | None:
    if not path.exists():
        return f"{label} store {path} is missing: run massar rollback {version} to rebuild it"
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            source = con.execute(query).fetchall()
    except duckdb.Error as exc:
        return f"{label} store {path} does not open ({exc}): run massar rollback {version} to rebuild it"
    if not source or source[0][0] != version:
        built = source[0][0] if source else "an unknown version"
        return f"{label} store was built from {built}, not from the current version {version}"
    return None


def check_published(report: VerifyReport, full: bool = True) -> None:
    published = paths().published_dir
    names = versions(published)
    live, problem = _read_current(published)
    if problem:
        report.problems.append(problem)
    if not names:
        report.lines.append("published: nothing published yet")
        return
    for name in names:
        try:
            validate_version(published / f"{name}.duckdb")
        except Exception as exc:
            report.problems.append(f"published version {name} is damaged: {exc}")
    report.lines.append(f"published: {len(names)} version(s), current {live or '-'}")
    if live is None:
        return
    db = published / f"{live}.duckdb"
    if full:
        try:
            tables = table_checksums(db)
            report.lines.append(f"current version: {len(tables)} tables read in full")
        except duckdb.Error as exc:
            report.problems.append(f"current version {live} does not read in full: {exc}")
            return
    with duckdb.connect(str(db), read_only=True) as con:
        has_serving = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'serving'"
        ).fetchall()[0][0]
    if not has_serving:
        return
    before = len(report.problems)
    for found in (
        _check_store(serving.lookup_store_path(live), "select source from meta.build", live, "parent lookup"),
        _check_store(
            serving.public_stats_store_path(live), "select source from stats.about", live, "statistics"
        ),
        _check_store(
            serving.followup_store_path(live),
            "select source from followup.about",
            live,
            "directorate follow-up",
        ),
    ):
        if found:
            report.problems.append(found)
    if len(report.problems) == before:
        report.lines.append("serving stores: built from the current version")


def verify_home(full: bool = True) -> VerifyReport:
    """Check the lake and the published versions of the current home (``full``: checksums of every lake
    file, every table of the current version read)."""

    report = VerifyReport()
    home = paths().home
    report.lines.append(f"home: {home}")
    pending = restore_incomplete(home)
    if pending:
        report.problems.append(f"a restore did not finish ({pending}): run massar restore SRC --force again")
    lake = check_lake(paths().lake, full=full)
    report.lines.append(
        f"lake: {lake.files} recorded file(s), {lake.bytes / 1e6:.1f} MB"
        + (f", {lake.hashed} checksum(s) compared" if full else ", sizes and footers only")
        + (f"; {lake.without_checksum} recorded before checksums were kept" if lake.without_checksum else "")
    )
    report.problems.extend(f"lake: {p.describe()}" for p in lake.problems)
    check_published(report, full=full)
    return report
