"""Shared harness of the page benchmarks (``bench_absence_pages.py``, ``bench_uis_pages.py``).

Each page benchmark builds a synthetic published warehouse with the real column layouts of the marts its
pages read, then times every query one run of each page makes, through ``dashboards.data_access`` with the
query cache cleared before each run (cold queries; the connection stays open, it is not a query cost), for
a ministry, region, province and school user. This module holds what they share: the published home, the
four scopes, and the timing loop that prints per-page and per-query times.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # imported after MASSAR_HOME is set (the data-access layer reads it)
    from dashboards.scope import Scope

Page = Callable[["Scope"], None]


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="page runs per role (the best is kept)")
    return parser.parse_args()


#: the benchmark warehouse's version name (readers accept only ``v<timestamp>Z`` names)
VERSION = "v20260101T000000000000Z"


def published_warehouse(prefix: str, pupils: int, build: Callable[[Path, int], None]) -> Path:
    """A fresh ``MASSAR_HOME`` whose published version (``VERSION``, a valid version name) is built by
    ``build(db, pupils)``."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    published = home / "warehouse" / "published"
    published.mkdir(parents=True)
    os.environ["MASSAR_HOME"] = str(home)
    db = published / f"{VERSION}.duckdb"
    started = time.perf_counter()
    build(db, pupils)
    (published / "CURRENT").write_text(VERSION + "\n", encoding="utf-8")
    print(f"built a {pupils:,}-pupil warehouse in {time.perf_counter() - started:.1f} s ({home})")
    return db


def role_scopes(db: Path, school_filter: str = "true") -> dict[str, Scope]:
    """Ministry, region, province and school scopes around the first school matching ``school_filter``
    (a constant SQL predicate on ``marts.dim_school`` written by the benchmark, never user input)."""
    from dashboards.scope import NATIONAL, Scope

    with duckdb.connect(str(db), read_only=True) as con:
        region, province, school = con.execute(
            "select region_code, province_code, school_code from marts.dim_school "
            f"where {school_filter} order by school_code limit 1"
        ).fetchall()[0]
    return {
        "ministry": NATIONAL,
        "region": Scope("region", region_code=region),
        "province": Scope("province", region_code=region, province_code=province),
        "school": Scope("school", region_code=region, province_code=province, school_code=school),
    }


def time_pages(pages: Mapping[str, Page], scopes: Mapping[str, Scope], repeat: int) -> None:
    """Run each page for each role ``repeat`` times (cold cache each time) and print the best run."""
    from dashboards.data_access import timed_queries
    from dashboards.data_access._core import _query

    width = max(len(name) for name in pages) + 2
    print(f"{'page':{width}} {'role':9} {'total ms':>9}  per query (ms)")
    for page_name, page in pages.items():
        for role, scope in scopes.items():
            best: list[tuple[str, float]] | None = None
            for _ in range(repeat):
                _query.clear()
                with timed_queries() as timings:
                    page(scope)
                if best is None or sum(s for _, s in timings) < sum(s for _, s in best):
                    best = list(timings)
            assert best is not None
            total = sum(s for _, s in best) * 1000
            detail = ", ".join(f"{name.rsplit('.', 1)[-1]} {s * 1000:.0f}" for name, s in best)
            print(f"{page_name:{width}} {role:9} {total:9.0f}  {detail}")
