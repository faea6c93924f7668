"""The only package of the dashboards that touches DuckDB: one submodule per subject.

``_core`` holds the connection, the cache and :func:`run`; each submodule (``enrollment``, …) holds the
query functions of one subject, and pages import the submodule they need
(``from dashboards.data_access import enrollment``).

Which warehouse: ``<MASSAR_HOME>/warehouse/published/CURRENT`` names the current published version
(``v20261129T034500Z``, or its file name ``v20261129T034500Z.duckdb``), a file in the same folder,
opened read-only.
``CURRENT`` is re-read on every call of :func:`published_warehouse` (a tiny file), and every query
result is cached under the path of the version it was read from: a new publish is picked up at the
next page run, and results of the previous version are never served for it.

Rules:
- parameterized queries only (``?`` placeholders); SQL text is constant, values never go into it; the
  only names composed into SQL are identifiers taken from a module's fixed allow-list (``_units.UNIT_COLUMN``,
  ``grades._REFERENCES``);
- results are polars frames (copies: cached results are returned by value);
- every query takes the user's ``Scope`` (``dashboards.scope``) and filters by it in SQL: a request for a
  region outside the scope raises ``ScopeError``; province and school users are served from the
  pupil-grain fact filtered to their province or school, never from region totals.

Conventions every query function follows (``tests/test_dashboards_scope.py`` checks them generically):
- it takes keyword-only ``scope: Scope`` and ``region: str | None = None``;
- its other parameters have defaults, except ``school_year`` (the test passes the latest one);
- asked (``region=``) for a region outside the scope, it raises ``ScopeError``;
- it reads aggregate marts (or pupil-grain facts narrowed to a province or school), never session grain.

Raises :class:`NoPublishedWarehouse` when nothing is published; pages show a message then.
"""

from dashboards.data_access._core import (
    NoPublishedWarehouse,
    PublishedWarehouse,
    clear_caches,
    published_version,
    published_warehouse,
    timed_queries,
)

__all__ = [
    "NoPublishedWarehouse",
    "PublishedWarehouse",
    "clear_caches",
    "published_version",
    "published_warehouse",
    "timed_queries",
]
