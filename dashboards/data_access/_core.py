"""The connection to the published warehouse, the query cache and the query timer (see the package doc)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import polars as pl
import streamlit as st

from massar.settings import paths
from warehouse.publish import CurrentPointerError, current

log = logging.getLogger(__name__)

QUERY_TTL_SECONDS: Final[int] = 600


class NoPublishedWarehouse(RuntimeError):
    """No published warehouse version exists (yet) under ``MASSAR_HOME``."""


@dataclass(frozen=True)
class PublishedWarehouse:
    """The current published version: its name (file stem) and its file."""

    version: str
    path: Path


def published_warehouse() -> PublishedWarehouse | None:
    """The version named by ``warehouse/published/CURRENT``; ``None`` if there is none or it is broken.

    ``CURRENT`` is validated by ``warehouse.publish.current``: it must hold a version name
    (``v20261129T034500Z``) of an existing version file in the same folder. A damaged pointer (binary
    bytes, a path, a missing version) is logged and treated as "nothing published" (the pages say so),
    never decoded loosely nor followed.
    """
    try:
        live = current(paths().published_dir)
    except CurrentPointerError as exc:
        log.error("published warehouse unavailable: %s", exc)
        return None
    if live is None:
        return None
    return PublishedWarehouse(version=live.version, path=live.path)


def published_version() -> str | None:
    """Name of the current published version (``v20261129T034500Z``), or ``None`` if nothing is published."""
    current = published_warehouse()
    return current.version if current else None


def _require_published() -> PublishedWarehouse:
    current = published_warehouse()
    if current is None:
        raise NoPublishedWarehouse(f"no published warehouse under {paths().published_dir}")
    return current


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False, on_release=_close)
def _connection(db_file: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version file, shared by sessions (queries use cursors)."""
    return duckdb.connect(db_file, read_only=True)


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=512, show_spinner=False)
def _query(db_file: str, sql: str, params: tuple[object, ...]) -> pl.DataFrame:
    """Run one parameterized query on a published version; cached by (version file, SQL, parameters)."""
    cursor = _connection(db_file).cursor()  # a cursor per query: connections are shared across threads
    try:
        return cursor.sql(sql, params=list(params)).pl()
    finally:
        cursor.close()


#: when set (by :func:`timed_queries`), every query appends ``(caller, seconds)`` here
_timings: list[tuple[str, float]] | None = None


def run(sql: str, *params: object) -> pl.DataFrame:
    """Run one constant, parameterized SQL statement on the current published version (cached)."""
    if _timings is None:
        return _query(str(_require_published().path), sql, tuple(params))
    started = time.perf_counter()
    result = _query(str(_require_published().path), sql, tuple(params))
    caller = sys._getframe(1).f_code.co_qualname
    _timings.append((caller, time.perf_counter() - started))
    return result


@contextmanager
def timed_queries() -> Iterator[list[tuple[str, float]]]:
    """Record ``(query function, seconds)`` of every query run inside the block (for benchmarks)."""
    global _timings
    previous, _timings = _timings, []
    try:
        yield _timings
    finally:
        _timings = previous


def clear_caches() -> None:
    """Forget cached results and close cached connections (used by tests between warehouses)."""
    _query.clear()
    _connection.clear()
