"""Helpers shared by the domain tests (``tests/test_domain_<domain>.py``).

- :func:`faulty_country`: a small country generated with high rates for a domain's fault classes, then
  ingested region by region (the real loader);
- :func:`fault_outcomes`: per faulty line of an entity, the reason the ingestion gave it (or none);
- :func:`clean_rows`: an entity's rows read independently from the export files (own parsing: encoding,
  header aliases, ``;``), minus the lines ``faults.csv`` lists: what the lake must hold;
- :func:`user_for`: the signed-in user of a role for a domain page's test;
- :class:`DomainIngestion`: the ingestion checks every domain runs (a domain file subclasses it and names
  its entities and fault classes).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from dashboards.auth import User
from dashboards.scope import NATIONAL, Scope
from ingestion.contracts import CONTRACTS
from ingestion.loader import ingest_region, regions_in
from synthetic.generate import generate

BOM = b"\xef\xbb\xbf"


@dataclass
class Country:
    exports: Path
    lake: Path
    faults: pl.DataFrame  # path, line, entity, fault_class


def faulty_country(root: Path, fault_rates: dict[str, float], pupils: int = 300, seed: int = 5) -> Country:
    exports, lake = root / "exports", root / "lake"
    generate(exports, pupils=pupils, seed=seed, fault_rate=0.03, fault_rates=fault_rates, file_fault_rate=0.1)
    for region in regions_in(exports):
        ingest_region(exports, lake, region)
    faults = pl.concat(
        [
            pl.read_csv(f, separator=";", schema_overrides={"line": pl.Int64, "path": pl.String})
            for f in exports.glob("*/faults.csv")
        ]
    )
    return Country(exports, lake, faults)


# One faulty country for every domain test module (generated once per test session), every class at the
# default rate: the generator injects every class with a positive rate at least once per entity, however
# rare its rows (a few fee lines per school, two or three returns to formal schooling at this size).
SHARED_RATES: dict[str, float] = {}
SHARED_PUPILS = 2500
_SHARED: dict[str, Country] = {}
_SHARED_ROOTS: list[Path] = []


def shared_country() -> Country:
    """The faulty country shared by the domain tests (``SHARED_RATES``, ``SHARED_PUPILS`` pupils)."""
    if "country" not in _SHARED:
        root = Path(tempfile.mkdtemp(prefix="massar-domains-"))
        _SHARED_ROOTS.append(root)
        _SHARED["country"] = faulty_country(root, SHARED_RATES, pupils=SHARED_PUPILS, seed=17)
    return _SHARED["country"]


def remove_shared_country() -> None:
    """Delete the shared country's folder (at the end of the test session)."""
    while _SHARED_ROOTS:
        shutil.rmtree(_SHARED_ROOTS.pop(), ignore_errors=True)
    _SHARED.clear()


def quarantine(lake: Path, entity: str) -> pl.DataFrame:
    """``path, line, reason`` of the quarantined lines of ``entity``."""
    files = list((lake / "_quarantine" / entity).glob("*/*/*.parquet"))
    if not files:
        return pl.DataFrame(schema={"path": pl.String, "line": pl.Int64, "reason": pl.String})
    return pl.read_parquet(files, hive_partitioning=False).select(
        pl.col("_source_file").alias("path"),
        pl.col("_line_number").alias("line"),
        pl.col("reason_code").alias("reason"),
    )


def load_log(lake: Path, entity: str) -> pl.DataFrame:
    log = pl.read_parquet(str(lake / "_load_log/*/*.parquet"), hive_partitioning=False)
    return log.filter(pl.col("entity") == entity)


def read_export(path: Path, entity: str) -> pl.DataFrame:
    """An export file's rows as text, canonical column names, with ``_line`` (header = 1) and ``_path``."""
    raw = path.read_bytes()
    text = raw[len(BOM) :].decode("utf-8") if raw.startswith(BOM) else raw.decode("cp1256")
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    aliases = CONTRACTS[entity].header_aliases
    header = [aliases[h.strip().lower()] for h in lines[0].split(";")]
    rows = [line.split(";") for line in lines[1:]]
    rows = [r + [""] * (len(header) - len(r)) for r in rows]  # a truncated last line (listed as faulty)
    frame = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")
    return frame.with_columns(
        pl.Series("_line", range(2, len(rows) + 2), dtype=pl.Int64),
        pl.lit(str(path)).alias("_path"),
    ).with_columns(pl.all().exclude("_line", "_path").replace("", None))


def clean_rows(exports: Path, entity: str) -> pl.DataFrame:
    """Every row of ``entity`` in the exports minus the faulty lines (``_rel`` = path relative to exports)."""
    parts, faulty = [], []
    for year_dir in sorted(p for p in exports.iterdir() if p.is_dir()):
        manifest = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
        for f in manifest["files"]:
            if f["entity"] == entity and not f["path"].endswith("__deleted.csv"):
                parts.append(
                    read_export(exports / f["path"], entity).with_columns(pl.lit(f["path"]).alias("_rel"))
                )
        faults = pl.read_csv(year_dir / "faults.csv", separator=";", schema_overrides={"line": pl.Int64})
        faulty.append(
            faults.filter(pl.col("entity") == entity).select(
                pl.col("path").alias("_rel"), pl.col("line").alias("_line")
            )
        )
    rows = pl.concat(parts, how="diagonal")
    return rows.join(pl.concat(faulty), on=["_rel", "_line"], how="anti")


def fault_outcomes(country: Country, entity: str) -> pl.DataFrame:
    """``fault_class, path, line, reason`` of each faulty line of ``entity`` (reason null: none)."""
    lines = country.faults.filter(pl.col("entity") == entity)
    return lines.join(quarantine(country.lake, entity), on=["path", "line"], how="left")


# ----------------------------------------------------------------------------- shared assertions


def assert_faults_caught(country: Country, entity: str, domain_classes: set[str]) -> None:
    """Every class of ``domain_classes`` was injected into ``entity``, and every injected faulty line was
    quarantined with the reason its class declares (classes whose outcome is ``read_ok`` excepted)."""
    from synthetic.faults import REGISTRY

    got = fault_outcomes(country, entity)
    injected = set(got["fault_class"])
    assert domain_classes <= injected, f"not injected: {domain_classes - injected}"
    expected = pl.col("fault_class").replace_strict(
        {n: f.outcome for n, f in REGISTRY.items()}, return_dtype=pl.String
    )
    missed = got.filter(
        (expected != "read_ok") & (pl.col("reason").is_null() | (pl.col("reason") != expected))
    )
    assert missed.is_empty(), missed


def assert_reconciled(country: Country, entity: str) -> pl.DataFrame:
    """No clean line of ``entity`` is quarantined; per batch rows in = accepted + quarantined; the lake holds
    exactly the clean export rows and the quarantine the rest. Returns the entity's quarantine."""
    q = quarantine(country.lake, entity)
    clean_quarantined = q.join(country.faults.select("path", "line"), on=["path", "line"], how="anti")
    assert clean_quarantined.is_empty(), clean_quarantined
    log = load_log(country.lake, entity)
    assert (log["rows_in"] == log["rows_accepted"] + log["rows_quarantined"]).all()
    accepted = pl.read_parquet(str(country.lake / entity / "*/*/*.parquet"), hive_partitioning=True)
    assert accepted.height == int(log["rows_accepted"].sum()) == clean_rows(country.exports, entity).height
    assert q.height == int(log["rows_quarantined"].sum())
    return q


class DomainIngestion:
    """The ingestion checks of a domain, on the shared faulty country (fixture ``domain_country``). A domain's
    test file declares them with ``class TestIngestion(DomainIngestion)`` and ``FAULTS``; for each entity:

    - every fault class of the domain was injected and every faulty line quarantined with its class's
      declared reason (:func:`assert_faults_caught`);
    - no clean line is quarantined, rows in = accepted + quarantined per batch, the lake holds exactly the
      clean export rows (:func:`assert_reconciled`), and at least one line was quarantined.
    """

    #: entity -> the domain's fault classes injected into it (the tests run per entity, in this order)
    FAULTS: ClassVar[dict[str, set[str]]] = {}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        metafunc.parametrize("entity", list(self.FAULTS))

    def test_every_fault_is_caught_with_its_reason(self, domain_country: Country, entity: str) -> None:
        assert_faults_caught(domain_country, entity, self.FAULTS[entity])

    def test_no_clean_line_is_quarantined_and_counts_reconcile(
        self, domain_country: Country, entity: str
    ) -> None:
        assert assert_reconciled(domain_country, entity).height > 0


#: the roles of a domain page's test (see :func:`user_for`), each in both languages
ROLES = ("ministry", "region", "school")
LANGS = ("fr", "ar")


def number(text: str) -> float:
    """The number a metric shows (thousands separators dropped, decimal comma or point)."""
    return float(re.sub(r"[^\d.,]", "", text).replace(",", "."))


def sql(db: Path, query: str, *params: object) -> list[tuple]:
    """Rows of a parameterized query on a published warehouse file (read-only)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def assert_pseudonymous(db: Path, table: str) -> None:
    """``marts.<table>`` names pupils by their pseudonymous key only (no ``student_code``)."""
    columns = {r[0] for r in sql(db, f"describe marts.{table}")}
    assert "student_code" not in columns and "student_key" in columns, columns


def published_file(home: Path) -> Path:
    """The current published warehouse file of a ``MASSAR_HOME``."""
    published = home / "warehouse" / "published"
    version = (published / "CURRENT").read_text(encoding="utf-8").strip().removesuffix(".duckdb")
    return published / f"{version}.duckdb"


MINISTRY = User("ministere", "Ministère", NATIONAL)
AREF_04 = User("aref", "AREF", Scope("region", region_code="04"))
#: ``(user, lang)`` of the page tests that need no school: the ministry and region 04, in both languages
MINISTRY_AND_REGION = [(MINISTRY, "fr"), (MINISTRY, "ar"), (AREF_04, "fr"), (AREF_04, "ar")]


def user_for(
    db: Path, role: str, table: str, *, weight: str, where: str = "true", region: str | None = None
) -> User:
    """The user of ``role`` (ministry, region or school) for a page test: the school is the one with the
    largest ``sum(weight)`` in ``marts.<table>`` among the rows of the table's latest school year (the year
    a page opens on) that ``where`` keeps (ties: smallest code); the region is ``region``, or by default
    that school's region. ``table``, ``weight`` and ``where`` are the test's own SQL text."""
    if role == "ministry":
        return MINISTRY
    if role == "region" and region is not None:
        return User("aref", "AREF", Scope("region", region_code=region))
    school, province, school_region = sql(
        db,
        f"""
        select school_code, any_value(province_code), any_value(region_code) from marts.{table}
        where ({where}) and school_year = (select max(school_year) from marts.{table})
        group by school_code order by sum({weight}) desc, school_code limit 1
        """,
    )[0]
    if role == "region":
        return User("aref", "AREF", Scope("region", region_code=school_region))
    assert role == "school", role
    scope = Scope("school", region_code=school_region, province_code=province, school_code=school)
    return User("ecole", "École", scope)


def open_page(
    page: str, user: object, lang: str, year: str | None = None, *, title: str | None = None
) -> object:
    """The internal app run as ``user`` in ``lang`` (caches cleared), switched to ``app_pages/<page>.py``
    (on school year ``year`` when given, else the page's default, the latest); fails on any exception the
    page raised, or when ``title`` is given and the page's title is not that key's label. Returns the
    ``AppTest``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[1] / "dashboards" / "app.py"), default_timeout=60
    )
    at.query_params["lang"] = lang
    if year is not None:
        at.query_params["year"] = year
    at.session_state["auth_user"] = user
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    if title is not None:
        from dashboards.i18n import labels

        assert at.title[0].value == labels(lang)[title]
    return at
