"""Export the serving stores of a published warehouse version and its restricted file.

The public app opens only the first two of these small files, never the warehouse. They belong to one
published version and are named by it: ``$MASSAR_HOME/serving/<version>/`` (``warehouse.publish.stores_dir``).
Publishing writes them before the version's ``CURRENT`` switch (``massar.pipeline.publish_candidate``), so a
reader that resolves ``CURRENT`` finds the warehouse and its stores of the same version.

- ``serving/<version>/parent_lookup.duckdb`` (schema ``lookup``, mode 0600): exactly what the lookup
  page shows (dbt models ``serving.lookup_*``, which dbt builds in the restricted file beside the
  candidate, ``massar.settings.restricted_companion``, never in the analysts' warehouse; this module is
  the only reader of that file), keyed by pupil code: ``lookup.pupil`` (identity and the secret
  hash) and ``lookup.card`` (each pupil's whole answer in one row, lists of structs), so a lookup reads
  the hash, then, once the secret is verified, one row. Schema ``meta`` (never read by the app) keeps a
  digest of each pupil's serving rows, so that a publish rebuilds only the pupils whose rows changed
  (``update_lookup_store``, in a copy of the previous version's store); ``build_lookup_store`` rebuilds
  everything.
- ``serving/<version>/public_stats.duckdb`` (schema ``stats``): the public statistics, built
  from ``serving.public_*`` with their totals, after small-cell suppression (``warehouse.suppression``).
  A second file rather than more tables in the lookup store: it holds no pupil-level row at all, so the
  statistics page cannot reach a pupil's data even through a bug, and each store is rebuilt and
  checked on its own.
- ``serving/<version>/directorate_followup.duckdb`` (schema ``followup``): the directorates' follow-up
  table, one row per chronically absent pupil and school year: pseudonymous key -> Massar code
  (``student_code``) with the territory codes. Only the internal dashboards' data-access function for
  chronic absentees opens it, for school and directorate roles (``docs/access-policy.md``); the analysts'
  marts never hold a Massar code.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from massar.settings import limit_memory, paths, restrict_access
from massar.settings.lookup_secrets import secret_mac
from warehouse.publish import current, stores_dir
from warehouse.suppression import THRESHOLD, suppressed_cells

log = logging.getLogger(__name__)

TABLES = ("pupil", "subject_result", "absence", "timetable", "exam", "exam_calendar")
PUBLIC_INPUTS = ("public_pupils", "public_exam_results", "public_attendance")

# One row per pupil: the card's lists, each ordered as the page shows it (constant SQL).
_CARD_LISTS = {
    "subject_results": ("subject_result", "semester, subject_code"),
    "absences": ("absence", "absence_date"),
    "timetable": ("timetable", "weekday, session_number"),
    "exams": ("exam", "exam_code, exam_session, subject_code"),
    "exam_calendar": ("exam_calendar", "exam_date, kind, exam_code, subject_code"),
}


SECRETS_FILE = "parent_secrets.csv"


def parent_secret_macs(exports: Path | None = None) -> pl.DataFrame:
    """``student_code, mac``: the MAC (``massar.settings.lookup_secrets``) of each pupil's parent secret, from
    the source's restricted delivery ``exports/<school_year>/parent_secrets.csv`` (the latest year's secret of
    a pupil wins). The plain secrets are read here only, and never written anywhere."""
    exports = exports or paths().exports
    frames = [
        pl.read_csv(f, separator=";", schema={"student_code": pl.String, "secret": pl.String}).with_columns(
            pl.lit(f.parent.name).alias("year")
        )
        for f in sorted(exports.glob(f"*/{SECRETS_FILE}"))
    ]
    if not frames:
        log.warning("no %s under %s: no parent can sign in to the lookup", SECRETS_FILE, exports)
        return pl.DataFrame(schema={"student_code": pl.String, "mac": pl.String})
    latest = pl.concat(frames).sort("year").unique("student_code", keep="last")
    return pl.DataFrame(
        {
            "student_code": latest["student_code"],
            "mac": [secret_mac(c, s) for c, s in zip(latest["student_code"], latest["secret"], strict=True)],
        }
    )


def _key_secrets(con: duckdb.DuckDBPyConnection, only: str = "") -> None:
    """Replace the source's slow hash in ``lookup.pupil.secret_hash`` by the secret's MAC under the
    lookup key (null when no secret was delivered): rows of pupils in table ``only``, or every row."""
    scope = f" and p.student_code in (select student_code from {only})" if only else ""
    con.register("secret_macs", parent_secret_macs())
    con.execute(f"update lookup.pupil p set secret_hash = null where true{scope}")
    con.execute(
        "update lookup.pupil p set secret_hash = m.mac from secret_macs m "
        f"where p.student_code = m.student_code{scope}"
    )
    con.unregister("secret_macs")


LOOKUP_STORE = "parent_lookup.duckdb"
STATS_STORE = "public_stats.duckdb"
FOLLOWUP_STORE = "directorate_followup.duckdb"


def stores_root() -> Path:
    return paths().home / "serving"


def _version_or_current(version: str | None) -> str | None:
    if version is not None:
        return version
    live = current(paths().published_dir)
    return live.version if live else None


def lookup_store_path(version: str | None = None) -> Path:
    """The lookup store of ``version`` (default: the current published version)."""

    name = _version_or_current(version)
    return stores_dir(stores_root(), name) / LOOKUP_STORE if name else stores_root() / LOOKUP_STORE


def public_stats_store_path(version: str | None = None) -> Path:
    """The public statistics store of ``version`` (default: the current published version)."""

    name = _version_or_current(version)
    return stores_dir(stores_root(), name) / STATS_STORE if name else stores_root() / STATS_STORE


def followup_store_path(version: str | None = None) -> Path:
    """The directorates' follow-up store of ``version`` (default: the current published version)."""

    name = _version_or_current(version)
    return stores_dir(stores_root(), name) / FOLLOWUP_STORE if name else stores_root() / FOLLOWUP_STORE


#: Store files written but not in place yet: (written file, target), renamed by ``commit_stores``.
Staged = list[tuple[Path, Path]]


@contextmanager
def _atomic_store(
    target: Path, start_from: Path | None = None, staged: Staged | None = None, private: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB file that replaces ``target`` only once fully written: a fresh one, or a copy of
    ``start_from`` (the store being patched; readers keep the original until the rename). With ``staged``,
    the written file is appended to it instead, and ``commit_stores`` renames it later (the publication
    renames the stores once the warehouse version they come from is live). ``private``: the file is
    readable by its owner only (0600), before it takes ``target``'s place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        if start_from is not None:
            shutil.copyfile(start_from, tmp)
        with duckdb.connect(str(tmp)) as con:
            limit_memory(con)  # a full lookup store at 1 M pupils reached 19 GB under DuckDB's default
            yield con
            con.execute("checkpoint")
        if private:
            restrict_access(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if staged is None:
        os.replace(tmp, target)
    else:
        staged.append((tmp, target))


def commit_stores(staged: Staged) -> None:
    """Rename staged store files into place (each rename atomic: a reader sees the old or the new store)."""
    for written, target in staged:
        os.replace(written, target)
    staged.clear()


def discard_stores(staged: Staged) -> None:
    for written, _ in staged:
        written.unlink(missing_ok=True)
    staged.clear()


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Column names and types of a relation (a constant name of this module)."""
    rows = con.execute(f"describe select * from {relation}").fetchall()
    return [(name, str(kind)) for name, kind, *_ in rows]


def _card_select(con: duckdb.DuckDBPyConnection, source: Callable[[str], str]) -> str:
    """The ``lookup.card`` rows of the pupils of ``source('pupil')``, with every list built from
    ``source(<table>)``: one row per pupil, lists of structs ordered as the page shows them (ties broken on
    the whole item, so a full build and an incremental update store the same lists)."""
    joins, selects = [], []
    for n, (name, (table, order)) in enumerate(_CARD_LISTS.items()):
        columns = [c for c, _ in _columns(con, source(table)) if c != "student_code"]
        fields = ", ".join(f"'{c}': \"{c}\"" for c in columns)  # the store's own column names
        joins.append(
            f"left join (select student_code, list(item order by {order}, item) as items "
            f"from (select student_code, {{{fields}}} as item, * exclude (student_code) "
            f"from {source(table)}) group by student_code) l{n} on l{n}.student_code = p.student_code"
        )
        selects.append(f"coalesce(l{n}.items, []) as {name}")
    return (
        f"select p.* exclude (secret_hash), {', '.join(selects)} from {source('pupil')} p {' '.join(joins)}"
    )


def build_card_table(con: duckdb.DuckDBPyConnection) -> None:
    """``lookup.card``: one row per pupil of ``lookup.pupil`` (without the secret hash) with every list
    of the answer as a list of structs, so that the page's answer is one point read through the ART index
    on ``student_code`` (DuckDB picks the index scan at run time for ``student_code = ?``; ``explain``
    shows the logical plan, ``explain analyze`` the ``Index Scan``)."""
    con.execute(
        f"create table lookup.card as {_card_select(con, lambda table: f'lookup.{table}')} "
        "order by p.student_code"
    )
    con.execute("create index card_code on lookup.card (student_code)")


def _digest_select(con: duckdb.DuckDBPyConnection, source: Callable[[str], str]) -> str:
    """Per pupil code: a digest of every row of the six ``lookup`` inputs (an order-independent sum of
    row hashes, the table's position mixed in). A pupil's card and ``pupil`` row are functions of these
    rows only, so equal digests mean an unchanged answer (up to a 64-bit hash collision)."""
    parts = " union all ".join(
        f"select student_code, hash({n}, t)::hugeint as h from {source(table)} t"
        for n, table in enumerate(TABLES)
    )
    return f"select student_code, sum(h) as digest from ({parts}) group by student_code"


def _signature(con: duckdb.DuckDBPyConnection, source: Callable[[str], str]) -> str:
    """The inputs' column names and types: a store built from other columns is rebuilt in full."""
    return json.dumps({table: _columns(con, source(table)) for table in TABLES})


def _lookup_input(table: str) -> str:
    return f"source.serving.lookup_{table}"


def _write_meta(
    con: duckdb.DuckDBPyConnection, source_db: Path, mode: str, changed: int, source: str | None = None
) -> None:
    con.execute("create schema if not exists meta")
    con.execute(
        "create or replace table meta.build as select ? as source, ? as built_at, ? as mode, "
        "? as changed_pupils, ? as signature",
        [
            source or source_db.stem,
            datetime.now(UTC).replace(tzinfo=None),
            mode,
            changed,
            _signature(con, _lookup_input),
        ],
    )


def build_lookup_store(
    source_db: Path,
    target: Path | None = None,
    *,
    staged: Staged | None = None,
    source: str | None = None,
) -> Path:
    """Copy ``serving.lookup_*`` of ``source_db`` (the restricted file) into a fresh serving store:
    ``lookup.pupil`` (with the secret hash) and ``lookup.card`` (the answer), both indexed by pupil code.
    The per-list tables are only the card's inputs: they are dropped once it is built. ``meta`` (never
    read by the app) keeps the per-pupil digests of the inputs and the build's source (``source``: the
    version's name, default the file's), for ``update_lookup_store``. ``staged``: see ``_atomic_store``."""
    target = target or lookup_store_path()
    with _atomic_store(target, staged=staged, private=True) as con:
        con.execute("attach ? as source (read_only)", [str(source_db)])
        con.execute("create schema lookup")
        for table in TABLES:  # constant names
            con.execute(
                f"create table lookup.{table} as select * from {_lookup_input(table)} order by student_code"
            )
        con.execute("create schema meta")
        con.execute(
            f"create table meta.pupil_digest as {_digest_select(con, lambda table: f'lookup.{table}')}"
        )
        pupils = con.execute("select count(*) from lookup.pupil").fetchall()[0][0]
        _write_meta(con, source_db, "full", pupils, source)
        con.execute("detach source")
        _key_secrets(con)
        con.execute("create index pupil_code on lookup.pupil (student_code)")
        build_card_table(con)
        for table in TABLES:
            if table != "pupil":
                con.execute(f"drop table lookup.{table}")
    return target


@dataclass(frozen=True)
class StoreUpdate:
    """What ``update_lookup_store`` did: ``mode`` is ``incremental`` or ``full`` (with the reason)."""

    path: Path
    mode: str
    changed_pupils: int
    reason: str = ""


def _reusable(target: Path, source_db: Path) -> str:
    """Why the store at ``target`` cannot be patched from ``source_db`` ('' when it can)."""
    if not target.exists():
        return "no store yet"
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            meta = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'meta' "
                "and table_name in ('build', 'pupil_digest')"
            ).fetchall()[0][0]
            if meta != 2:
                return "store without digests (built by an older version)"
            (signature,) = con.execute("select signature from meta.build").fetchall()[0]
            con.execute("attach ? as source (read_only)", [str(source_db)])
            if signature != _signature(con, _lookup_input):
                return "the serving models' columns changed"
    except duckdb.Error as exc:
        return f"store unreadable: {exc}"
    return ""


def update_lookup_store(
    source_db: Path,
    target: Path | None = None,
    max_changed_share: float = 0.5,
    *,
    staged: Staged | None = None,
    source: str | None = None,
    previous: Path | None = None,
) -> StoreUpdate:
    """Write the lookup store of ``source_db`` at ``target`` from ``previous`` (the previous version's
    store; default ``target`` itself): only the pupils whose ``serving.lookup_*`` rows changed get their
    ``pupil`` and ``card`` rows rebuilt (a day's absences and grades touch a few classes). The store is
    patched in a copy of ``previous`` that becomes ``target`` atomically (``_atomic_store``); ``previous``
    is only read. Falls back to ``build_lookup_store`` when there is no usable store (none, no digests,
    other columns) or when more than ``max_changed_share`` of the pupils changed."""
    target = target or lookup_store_path()
    previous = previous or target
    reason = _reusable(previous, source_db)
    if reason:
        build_lookup_store(source_db, target, staged=staged, source=source)
        return StoreUpdate(target, "full", -1, reason)
    with duckdb.connect() as con:  # compare digests without touching the store
        limit_memory(con)
        con.execute("attach ? as store (read_only)", [str(previous)])
        con.execute("attach ? as source (read_only)", [str(source_db)])
        changed = con.sql(
            f"select coalesce(n.student_code, o.student_code) as student_code, n.digest "
            f"from ({_digest_select(con, _lookup_input)}) n "
            "full join store.meta.pupil_digest o on n.student_code = o.student_code "
            "where n.digest is distinct from o.digest"
        ).pl()
        pupils = con.execute("select count(*) from source.serving.lookup_pupil").fetchall()[0][0]
    if changed.height > max_changed_share * max(pupils, 1):
        build_lookup_store(source_db, target, staged=staged, source=source)
        return StoreUpdate(target, "full", changed.height, f"{changed.height} of {pupils} pupils changed")
    with _atomic_store(target, start_from=previous, staged=staged, private=True) as con:
        con.execute("attach ? as source (read_only)", [str(source_db)])
        con.register("changed_frame", changed)
        con.execute("create temp table changed as select * from changed_frame")
        con.unregister("changed_frame")
        for table in TABLES:  # the changed pupils' input rows (a semi join on each source table)
            con.execute(
                f"create temp table src_{table} as select * from {_lookup_input(table)} "
                "where student_code in (select student_code from changed)"
            )
        for table in ("pupil", "card"):
            con.execute(
                f"delete from lookup.{table} where student_code in (select student_code from changed)"
            )
        con.execute("insert into lookup.pupil select * from src_pupil order by student_code")
        _key_secrets(con, only="changed")
        con.execute(
            f"insert into lookup.card {_card_select(con, lambda table: f'temp.main.src_{table}')} "
            "order by p.student_code"
        )
        con.execute("delete from meta.pupil_digest where student_code in (select student_code from changed)")
        con.execute("insert into meta.pupil_digest select * from changed where digest is not null")
        _write_meta(con, source_db, "incremental", changed.height, source)
        con.execute("detach source")
    return StoreUpdate(target, "incremental", changed.height)


# --- Public statistics -------------------------------------------------------------------------------

_GEO = ("region_code", "province_code")


def _labels(frame: pl.DataFrame, key: str, columns: list[str]) -> pl.DataFrame:
    return frame.select(key, *columns).unique(key).sort(key)


def public_pupils(inputs: pl.DataFrame, threshold: int = THRESHOLD) -> pl.DataFrame:
    """Pupils by region x cycle x sex and province x cycle, with every total, suppressed.

    One cube per school year: geography (national > region > province) x cycle x sex. Province x sex
    cells are not shown, but take part in the constraints and the check."""
    out = []
    for (year,), frame in inputs.partition_by("school_year", as_dict=True).items():
        cells = suppressed_cells(
            frame,
            [_GEO, ("cycle_code",), ("sex",)],
            "pupils",
            published=~((pl.col("depth_0") == 2) & (pl.col("depth_2") == 1)),
            threshold=threshold,
        )
        out.append(cells.with_columns(pl.lit(year).alias("school_year")))
    if not out:
        return pl.DataFrame()
    regions = _labels(inputs, "region_code", ["region_name_fr", "region_name_ar"])
    provinces = _labels(inputs, "province_code", ["province_name_fr", "province_name_ar"])
    cycles = _labels(inputs, "cycle_code", ["cycle_order", "cycle_fr", "cycle_ar"])
    return (
        pl.concat(out)
        .join(regions, on="region_code", how="left", nulls_equal=False)
        .join(provinces, on="province_code", how="left", nulls_equal=False)
        .join(cycles, on="cycle_code", how="left", nulls_equal=False)
        .select(
            "school_year",
            "region_code",
            "region_name_fr",
            "region_name_ar",
            "province_code",
            "province_name_fr",
            "province_name_ar",
            "cycle_code",
            "cycle_order",
            "cycle_fr",
            "cycle_ar",
            "sex",
            "pupils",
            "suppressed",
        )
        .sort("school_year", "region_code", "province_code", "cycle_order", "sex", nulls_last=False)
    )


def _outcome_cube(
    frame: pl.DataFrame,
    dims: list[str],
    total: str,
    part: str,
    rest: str,
    threshold: int,
) -> pl.DataFrame:
    """Cells of a (dims x outcome) cube where ``total = part + rest``: ``rest`` is not shown, but a small
    ``rest`` is protected too (showing the total and the part would give it away)."""
    long = pl.concat(
        [
            frame.select(*dims, pl.lit(part).alias("outcome"), pl.col(part).alias("n")),
            frame.select(*dims, pl.lit(rest).alias("outcome"), (pl.col(total) - pl.col(part)).alias("n")),
        ]
    )
    cells = suppressed_cells(
        long,
        [*((d,) for d in dims), ("outcome",)],
        "n",
        published=pl.col("outcome").is_null() | (pl.col("outcome") == part),
        threshold=threshold,
    )
    wide = (
        cells.filter(pl.col("outcome").is_null())
        .select(*dims, pl.col("n").alias(total), pl.col("suppressed").alias("_total_hidden"))
        .join(
            cells.filter(pl.col("outcome") == part).select(
                *dims, pl.col("n").alias(part), pl.col("suppressed").alias("_part_hidden")
            ),
            on=dims,
            how="left",
            nulls_equal=True,
        )
    )
    return wide.with_columns((pl.col("_total_hidden") | pl.col("_part_hidden")).alias("suppressed")).drop(
        "_total_hidden", "_part_hidden"
    )


def public_exam_results(inputs: pl.DataFrame, threshold: int = THRESHOLD) -> pl.DataFrame:
    """Candidates, passed and pass rate by certificate x region x sex, with the totals, suppressed.

    Candidates are the complete ones (the pass-rate denominator). The rule: one cube per school year and
    certificate, region x sex x outcome (passed, failed); candidates and passed are shown, failed
    (candidates - passed) is not but is protected like them: a count 0 < n < 10 of any of the three is
    hidden or made unrecoverable, with the complementary cells that needs and no more
    (``warehouse.suppression``). A pass rate is shown when both its candidates and its passed are."""
    out = []
    for (year, certificate), frame in inputs.partition_by(
        "school_year", "certificate_code", as_dict=True
    ).items():
        wide = _outcome_cube(frame, ["region_code", "sex"], "candidates", "passed", "failed", threshold)
        out.append(
            wide.with_columns(
                pl.lit(year).alias("school_year"), pl.lit(certificate).alias("certificate_code")
            )
        )
    if not out:
        return pl.DataFrame()
    regions = _labels(inputs, "region_code", ["region_name_fr", "region_name_ar"])
    return (
        pl.concat(out)
        .join(regions, on="region_code", how="left")
        .with_columns(_rate("passed", "candidates").alias("pass_rate"))
        .select(
            "school_year",
            "certificate_code",
            "region_code",
            "region_name_fr",
            "region_name_ar",
            "sex",
            "candidates",
            "passed",
            "pass_rate",
            "suppressed",
        )
        .sort("school_year", "certificate_code", "region_code", "sex", nulls_last=False)
    )


def public_attendance(inputs: pl.DataFrame, threshold: int = THRESHOLD) -> pl.DataFrame:
    """Classified pupils, chronically absent pupils, their rate and the attendance rate by region."""
    out = []
    for (year,), frame in inputs.partition_by("school_year", as_dict=True).items():
        wide = _outcome_cube(
            frame, ["region_code"], "pupils_classified", "chronically_absent", "not_chronic", threshold
        )
        days = frame.select("region_code", "absent_days", "enrolled_school_days")
        days = pl.concat(
            [days, days.select(pl.lit(None, pl.String).alias("region_code"), pl.exclude("region_code").sum())]
        )
        out.append(
            wide.join(days, on="region_code", how="left", nulls_equal=True).with_columns(
                pl.lit(year).alias("school_year")
            )
        )
    if not out:
        return pl.DataFrame()
    regions = _labels(inputs, "region_code", ["region_name_fr", "region_name_ar"])
    return (
        pl.concat(out)
        .join(regions, on="region_code", how="left")
        .with_columns(
            _rate("chronically_absent", "pupils_classified").alias("chronic_absence_rate"),
            pl.when(pl.col("pupils_classified").is_not_null() & (pl.col("enrolled_school_days") > 0))
            .then(1 - pl.col("absent_days") / pl.col("enrolled_school_days"))
            .alias("attendance_rate"),
        )
        .select(
            "school_year",
            "region_code",
            "region_name_fr",
            "region_name_ar",
            "pupils_classified",
            "chronically_absent",
            "chronic_absence_rate",
            "attendance_rate",
            "suppressed",
        )
        .sort("school_year", "region_code", nulls_last=False)
    )


def _rate(numerator: str, denominator: str) -> pl.Expr:
    """A rate, null when its numerator or denominator is suppressed (or the denominator is 0)."""
    return (
        pl.when(pl.col(numerator).is_not_null() & (pl.col(denominator) > 0))
        .then(pl.col(numerator) / pl.col(denominator))
        .otherwise(None)
    )


def build_public_stats_store(
    published_db: Path,
    target: Path | None = None,
    threshold: int = THRESHOLD,
    *,
    staged: Staged | None = None,
    source: str | None = None,
) -> Path | None:
    """Suppress ``serving.public_*`` of ``published_db`` and write the public statistics store
    (``staged``, ``source``: see ``build_lookup_store``)."""
    target = target or public_stats_store_path()
    with duckdb.connect(str(published_db), read_only=True) as con:
        limit_memory(con)
        present = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'serving'"
            ).fetchall()
        }
        if not set(PUBLIC_INPUTS) <= present:
            log.warning("published version has no public_* serving models: public statistics not refreshed")
            return None
        inputs = {name: con.sql(f"select * from serving.{name}").pl() for name in PUBLIC_INPUTS}
    tables = {
        "pupils": public_pupils(inputs["public_pupils"], threshold),
        "exam_results": public_exam_results(inputs["public_exam_results"], threshold),
        "attendance": public_attendance(inputs["public_attendance"], threshold),
    }
    about = pl.DataFrame(
        {"threshold": [threshold], "built_at": [datetime.now(UTC)], "source": [source or published_db.stem]}
    )
    with _atomic_store(target, staged=staged) as con:
        con.execute("create schema stats")
        for name, frame in {**tables, "about": about}.items():  # constant names
            if frame.width:
                con.register("frame", frame)
                con.execute(f"create table stats.{name} as select * from frame")
                con.unregister("frame")
    return target


#: The relation that links a pseudonymous key to a Massar code: the identity table of the restricted file
#: (``student_key``, ``student_code``), attached as ``identity``.
IDENTITY_RELATION = "identity.restricted.student_identity"


def build_followup_store(
    published_db: Path,
    target: Path | None = None,
    *,
    restricted_db: Path,
    staged: Staged | None = None,
    source: str | None = None,
) -> Path:
    """Write the directorates' follow-up store: ``followup.chronic_absentee`` (``student_key, school_year,
    region_code, province_code, school_code, student_code``), the chronically absent pupils of
    ``marts.fct_attendance_ytd`` (every school year) with their Massar code from the identity table of
    the restricted file ``restricted_db``, and ``followup.about`` (source version, build time). Only those
    pupils: a pupil who is not a chronic absentee has no row, so the store serves the follow-up list and
    nothing else. Without the attendance mart or the identity table the table is empty (every version has
    its store)."""
    target = target or followup_store_path()
    present: set[str] = set()
    for alias, path in (("published", published_db), ("identity", restricted_db)):
        if path.exists():
            with duckdb.connect(str(path), read_only=True) as con:
                present |= {
                    f"{alias}.{schema}.{name}"
                    for schema, name in con.execute(
                        "select table_schema, table_name from information_schema.tables"
                    ).fetchall()
                }
    complete = {"published.marts.fct_attendance_ytd", IDENTITY_RELATION} <= present
    if not complete:
        log.warning("no attendance mart or identity table: the follow-up store is empty")
    with _atomic_store(target, staged=staged) as con:
        con.execute("create schema followup")
        if complete:
            con.execute("attach ? as published (read_only)", [str(published_db)])
            con.execute("attach ? as identity (read_only)", [str(restricted_db)])
            con.execute(
                f"""
                create table followup.chronic_absentee as
                select y.student_key, y.school_year, y.region_code, y.province_code, y.school_code,
                    i.student_code
                from published.marts.fct_attendance_ytd as y
                join {IDENTITY_RELATION} as i on i.student_key = y.student_key
                where y.is_chronically_absent
                order by y.school_year, y.school_code, y.student_key
                """
            )
            con.execute("detach identity")
            con.execute("detach published")
        else:
            con.execute(
                "create table followup.chronic_absentee (student_key varchar, school_year varchar, "
                "region_code varchar, province_code varchar, school_code varchar, student_code varchar)"
            )
        con.execute("create index chronic_key on followup.chronic_absentee (student_key)")
        con.execute(
            "create table followup.about as select ? as source, ? as built_at",
            [source or published_db.stem, datetime.now(UTC).replace(tzinfo=None)],
        )
    return target
