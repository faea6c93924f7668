"""The directorates' follow-up store: a pupil's Massar code, for the chronic-absentee list only.

``$MASSAR_HOME/serving/<version>/directorate_followup.duckdb`` (schema ``followup``, written at publish by
``warehouse.serving.build_followup_store``) holds one row per chronically absent pupil and school year:
pseudonymous key -> Massar code, with the territory codes. It is a file of its own, outside the analysts'
warehouse: the warehouse holds pseudonymous keys only (``docs/access-policy.md``).

Only :func:`massar_codes` reads it, and only for the roles of :data:`FOLLOWUP_ROLES`, within their
territory (the filter is in the store's own SQL). The store must be the current version's
(``followup.about.source``): a store of another version is never read.
"""

from __future__ import annotations

import logging
from typing import Final

import duckdb
import polars as pl
import streamlit as st

from dashboards.data_access._core import QUERY_TTL_SECONDS, _require_published
from dashboards.scope import TERRITORY_WHERE, Scope, Territory
from massar.settings import paths

log = logging.getLogger(__name__)

FOLLOWUP_NAME: Final[str] = "directorate_followup.duckdb"
#: roles that follow their chronic absentees up by name in Massar: school, provincial and regional
#: directorates; the ministry's analysts keep pseudonymous keys
FOLLOWUP_ROLES: Final[frozenset[str]] = frozenset({"region", "province", "school"})

_CODES = f"""
    select student_key, student_code
    from store.followup.chronic_absentee
    where school_year = ? and {TERRITORY_WHERE}
"""


class FollowupNotEntitled(PermissionError):
    """A role without follow-up duties asked for Massar codes."""


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=64, show_spinner=False)
def _read(store: str, version: str, school_year: str, params: tuple[str | None, ...]) -> pl.DataFrame | None:
    """The codes of one territory and year, from ``store`` if it is ``version``'s (None otherwise)."""
    # attached to a private in-memory database: a per-path shared instance could keep an older file
    con = duckdb.connect()
    try:
        con.execute("attach ? as store (read_only)", [store])
        built_for = con.execute("select source from store.followup.about").fetchall()
        if not built_for or built_for[0][0] != version:
            log.error("follow-up store %s is not version %s's: not read", store, version)
            return None
        return con.sql(_CODES, params=[school_year, *params]).pl()
    except duckdb.Error as exc:
        log.error("follow-up store %s unavailable: %s", store, exc)
        return None
    finally:
        con.close()


def massar_codes(school_year: str, scope: Scope, territory: Territory) -> pl.DataFrame | None:
    """``student_key, student_code`` of the chronic absentees of ``territory`` (already narrowed to
    ``scope`` by ``Scope.territory``) in ``school_year``; None when the version has no follow-up store.

    Raises :class:`FollowupNotEntitled` for a role outside :data:`FOLLOWUP_ROLES`."""
    if scope.role not in FOLLOWUP_ROLES:
        raise FollowupNotEntitled(f"the {scope.role} role sees pseudonymous keys only")
    published = _require_published()
    store = paths().home / "serving" / published.version / FOLLOWUP_NAME
    if not store.exists():
        log.error("no follow-up store for version %s", published.version)
        return None
    return _read(str(store), published.version, school_year, territory.params())


def clear_cache() -> None:
    _read.clear()
