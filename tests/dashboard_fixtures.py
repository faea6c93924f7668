"""A small hand-made published warehouse for the dashboard tests.

``build_fixture_warehouse(home)`` writes ``home/warehouse/published/<version>.duckdb`` and ``CURRENT``
(the publish contract; it holds ``<version>``, as ``warehouse/publish.py`` writes it), with the tables
the dashboards read, columns as in docs/architecture.md: ``marts.agg_enrollment_by_region``,
``marts.agg_enrollment_by_province`` (each region's pupils in its first province), ``marts.dim_school``,
``reference.code_regions``, ``reference.code_provinces``, ``reference.code_cycles``.
Regions and cycles come from the dbt seeds; pupil counts are small deterministic numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import polars as pl

REPO_ROOT = Path(__file__).resolve().parents[1]
REGIONS_CSV = REPO_ROOT / "dbt" / "seeds" / "geo" / "code_regions.csv"
PROVINCES_CSV = REPO_ROOT / "dbt" / "seeds" / "geo" / "code_provinces.csv"
CYCLES_CSV = REPO_ROOT / "dbt" / "seeds" / "codes" / "code_cycles.csv"

FIXTURE_VERSION = "v20261129T034500Z"
FIXTURE_SCHOOL_YEARS = ("2024-2025", "2025-2026")

# pupils of one region × cycle × sex × sector × area cell:
# base(region) × weight(cycle, sex, sector, area) + a small bump
_CYCLE_WEIGHT = {"preschool": 2, "primary": 9, "lower_secondary": 5, "upper_secondary": 3}
_SEX_WEIGHT = {"F": 10, "M": 11}
_SECTOR_WEIGHT = {"public": 8, "private": 1}
_AREA_WEIGHT = {"urban": 3, "rural": 2}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _pupils(region_index: int, year_index: int, cycle: str, sex: str, sector: str, area: str) -> int:
    base = 1 + (region_index * 7) % 12  # 1..12, a different size per region
    weight = _CYCLE_WEIGHT[cycle] * _SEX_WEIGHT[sex] * _SECTOR_WEIGHT[sector] * _AREA_WEIGHT[area]
    bump = 3 * year_index + (region_index % 3) + (1 if sex == "F" and cycle == "upper_secondary" else 0)
    return base * weight + bump


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[list[object]]) -> None:
    """Bulk insert (``executemany`` takes about a second for these few thousand rows)."""
    schema, name = table.split(".")
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]
    con.register("_fixture_rows", pl.DataFrame(rows, schema=columns, orient="row"))
    try:
        con.execute(f"insert into {table} select * from _fixture_rows")
    finally:
        con.unregister("_fixture_rows")


def build_fixture_warehouse(home: Path, version: str = FIXTURE_VERSION) -> Path:
    """Write the fixture warehouse under ``home`` and point ``CURRENT`` at it; return the database file."""
    published = home / "warehouse" / "published"
    published.mkdir(parents=True, exist_ok=True)
    db_file = published / f"{version}.duckdb"
    db_file.unlink(missing_ok=True)

    regions = _read_csv(REGIONS_CSV)
    provinces = _read_csv(PROVINCES_CSV)
    cycles = _read_csv(CYCLES_CSV)

    con = duckdb.connect(str(db_file))
    try:
        con.execute("create schema reference")
        con.execute("create schema marts")
        con.execute(
            """
            create table reference.code_regions (
                region_code varchar, iso_3166_2 varchar, name_fr varchar, name_ar varchar,
                aref_name_fr varchar, aref_name_ar varchar, population_2024 bigint, households_2024 bigint,
                n_provinces_prefectures integer, n_communes integer
            )
            """
        )
        _insert(
            con,
            "reference.code_regions",
            [
                [
                    r["region_code"],
                    r["iso_3166_2"],
                    r["name_fr"],
                    r["name_ar"],
                    r["aref_name_fr"],
                    r["aref_name_ar"],
                    int(r["population_2024"]),
                    int(r["households_2024"]),
                    int(r["n_provinces_prefectures"]),
                    int(r["n_communes"]),
                ]
                for r in regions
            ],
        )
        con.execute(
            """
            create table reference.code_cycles (
                cycle_code varchar, cycle_order integer, label_fr varchar, label_ar varchar,
                official_years integer
            )
            """
        )
        _insert(
            con,
            "reference.code_cycles",
            [
                [
                    c["cycle_code"],
                    int(c["cycle_order"]),
                    c["label_fr"],
                    c["label_ar"],
                    int(c["official_years"]),
                ]
                for c in cycles
            ],
        )

        con.execute(
            """
            create table marts.agg_enrollment_by_region (
                school_year varchar, region_code varchar, region_name_fr varchar, region_name_ar varchar,
                cycle_code varchar, sex varchar, sector varchar, area varchar, pupils bigint
            )
            """
        )
        agg_rows: list[list[object]] = []
        for year_index, year in enumerate(FIXTURE_SCHOOL_YEARS):
            for region_index, r in enumerate(regions):
                for c in cycles:
                    for sex in _SEX_WEIGHT:
                        for sector in _SECTOR_WEIGHT:
                            for area in _AREA_WEIGHT:
                                # a hole, as real data has: no private rural preschool in the southern regions
                                if (c["cycle_code"], sector, area) == ("preschool", "private", "rural") and (
                                    region_index >= 9
                                ):
                                    continue
                                agg_rows.append(
                                    [
                                        year,
                                        r["region_code"],
                                        r["name_fr"],
                                        r["name_ar"],
                                        c["cycle_code"],
                                        sex,
                                        sector,
                                        area,
                                        _pupils(region_index, year_index, c["cycle_code"], sex, sector, area),
                                    ]
                                )
        _insert(con, "marts.agg_enrollment_by_region", agg_rows)

        columns = list(provinces[0])
        con.execute(f"create table reference.code_provinces ({', '.join(f'{c} varchar' for c in columns)})")
        _insert(con, "reference.code_provinces", [[p[c] for c in columns] for p in provinces])
        con.execute(
            """
            create table marts.agg_enrollment_by_province (
                school_year varchar, region_code varchar, province_code varchar, province_name_fr varchar,
                province_name_ar varchar, cycle_code varchar, level_code varchar, sex varchar,
                sector varchar, area varchar, pupils bigint
            )
            """
        )
        first_province = {}
        for p in provinces:
            first_province.setdefault(p["region_code"], p)
        _insert(
            con,
            "marts.agg_enrollment_by_province",
            [
                [
                    year,
                    region,
                    first_province[region]["province_code"],
                    first_province[region]["name_fr"],
                    first_province[region]["name_ar"],
                    cycle,
                    f"{cycle}-1",
                    sex,
                    sector,
                    area,
                    pupils,
                ]
                for year, region, _, _, cycle, sex, sector, area, pupils in agg_rows
            ],
        )

        con.execute(
            """
            create table marts.dim_school (
                school_code varchar, school_name_fr varchar, school_name_ar varchar, region_code varchar,
                region_name_fr varchar, region_name_ar varchar, aref_name_fr varchar, aref_name_ar varchar,
                province_code varchar, province_name_fr varchar, province_name_ar varchar, sector varchar,
                area varchar, cycle_code varchar
            )
            """
        )
        school_rows: list[list[object]] = []
        for region_index, r in enumerate(regions):
            province = next(p for p in provinces if p["region_code"] == r["region_code"])
            for cycle_index, c in enumerate(cycles):
                for n in range(1 + (region_index + cycle_index) % 3):
                    sector = "private" if n == 2 else "public"
                    area = "rural" if (region_index + n) % 2 else "urban"
                    school_rows.append(
                        [
                            f"{region_index + 1:02d}{cycle_index}{n:02d}{'ABCD'[cycle_index]}",
                            f"Établissement {c['label_fr']} n° {n + 1} — {province['name_fr']}",
                            f"مؤسسة {c['label_ar']} رقم {n + 1} — {province['name_ar']}",
                            r["region_code"],
                            r["name_fr"],
                            r["name_ar"],
                            r["aref_name_fr"],
                            r["aref_name_ar"],
                            province["province_code"],
                            province["name_fr"],
                            province["name_ar"],
                            sector,
                            area,
                            c["cycle_code"],
                        ]
                    )
        _insert(con, "marts.dim_school", school_rows)
        con.execute("checkpoint")
    finally:
        con.close()

    tmp = published / "CURRENT.tmp"
    tmp.write_text(f"{version}\n", encoding="utf-8")  # the version, as warehouse/publish.py writes it
    tmp.replace(published / "CURRENT")
    return db_file
