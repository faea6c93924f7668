"""Current state of an entity from its versions in the lake, and the checks that need it.

The lake keeps every accepted version of a row. The current state (the same rule as dbt staging, see
docs/architecture.md) is, per primary key, the last version in ``ORDER_COLUMNS`` order, unless a deletion
with a drop date on or after it exists. Ingestion applies it with polars before dbt runs (the checks
below) and the gate applies it to reconcile dbt's figures with the lake; dbt applies it in SQL.

Two checks read the state of enrollments:

- ``outside_enrollment`` (absences): the pupil must be enrolled in the region on the absence date, that is
  an entry, re-enrollment or transfer in on or before that date, with no transfer out or dropout after it
  and on or before the absence date (the pupil has left on the exit day: enrollment is [start, exit));
- ``duplicate_enrollment`` (enrollments): an entry or re-enrollment of a pupil who is already enrolled
  (the pupil's previous movement, in date order, is an entry, re-enrollment or transfer in).
"""

from __future__ import annotations

from functools import cache

import polars as pl

from ingestion.codelists import read_seed

#: The order of an entity's versions, oldest first: per primary key the current state is the last version
#: (the latest drop; ties: latest load, then highest line number, then highest batch id: a total order).
#: Nulls come first (a lake written before a lineage column existed). The one definition of the rule:
#: dbt's ``lake_current_state`` orders by the same columns, from macro ``massar_version_order`` that
#: ``massar contracts generate-dbt`` writes from this tuple.
ORDER_COLUMNS = ("_drop_date", "_loaded_at", "_line_number", "_batch_id")
STARTS_AGAIN = ("entry", "re_enrollment")


def current_state(versions: pl.DataFrame, key: list[str], deletions: pl.DataFrame | None) -> pl.DataFrame:
    """Latest version per key, minus the keys deleted on or after that version's drop date."""
    if versions.height == 0:
        return versions
    order = [c for c in ORDER_COLUMNS if c in versions.columns]
    latest = versions.sort(order).unique(subset=key, keep="last", maintain_order=True)
    if deletions is None or deletions.height == 0 or "_drop_date" not in latest.columns:
        return latest
    deleted = deletions.group_by(key).agg(pl.col("_drop_date").max().alias("__deleted_on"))
    return (
        latest.join(deleted, on=key, how="left", nulls_equal=True)
        .filter(pl.col("__deleted_on").is_null() | (pl.col("__deleted_on") < pl.col("_drop_date")))
        .drop("__deleted_on")
    )


@cache
def event_directions() -> dict[str, str]:
    """``in`` or ``out`` per enrollment event type (seed ``enrollment_events``)."""
    return {r["event_type"]: r["direction"] for r in read_seed("code_enrollment_events")}


def _direction() -> pl.Expr:
    return pl.col("event_type").replace_strict(event_directions(), default=None, return_dtype=pl.String)


def outside_enrollment(rows: pl.DataFrame, date_column: str, enrollments: pl.DataFrame) -> pl.Series:
    """True for each row of ``rows`` (``student_code``, ``date_column``) when the pupil is not enrolled
    on that date per ``enrollments`` (``student_code``, ``event_type``, ``event_date``)."""
    if rows.height == 0:
        return pl.Series("outside", [], dtype=pl.Boolean)
    days = pl.col("event_date").cast(pl.Int64)
    events = enrollments.select("student_code", "event_date", _direction().alias("__dir")).drop_nulls()
    # On one day, an exit (2d) comes before an entry (2d + 1): transfer out of A and into B the same day.
    starts = (
        events.filter(pl.col("__dir") == "in").select("student_code", (2 * days + 1).alias("__s")).sort("__s")
    )
    ends = events.filter(pl.col("__dir") == "out").select("student_code", (2 * days).alias("__e")).sort("__e")
    x = pl.col(date_column).cast(pl.Int64)
    probe = rows.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__i"),
        pl.col("student_code"),
        (2 * x + 1).alias("__qs"),
        (2 * x).alias("__qe"),
    ).drop_nulls()
    found = (
        probe.sort("__qs")
        .join_asof(
            starts,
            left_on="__qs",
            right_on="__s",
            by="student_code",
            strategy="backward",
            check_sortedness=False,
        )
        .sort("__qe")
        .join_asof(
            ends,
            left_on="__qe",
            right_on="__e",
            by="student_code",
            strategy="backward",
            check_sortedness=False,
        )
        .select("__i", (pl.col("__s").is_null() | (pl.col("__e") > pl.col("__s"))).alias("__out"))
    )
    # Rows left out of the probe (null date or pupil) are not flagged.
    return _flags(rows.height, found["__i"], found["__out"].fill_null(False)).alias("outside")


def _flags(height: int, at: pl.Series, values: pl.Series) -> pl.Series:
    """``height`` booleans, false but at the row indices ``at`` (given ``values``): a scatter, much cheaper
    than joining the results back on a row index and sorting."""
    return pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(at, values)


def duplicate_enrollment(rows: pl.DataFrame, enrollments: pl.DataFrame) -> pl.Series:
    """True for each new row (``student_code``, ``school_code``, ``event_type``, ``event_date``) that is
    an entry or re-enrollment of a pupil already enrolled, given the earlier ``enrollments`` and the new
    rows themselves (on one day: earlier loads first, then file order)."""
    if rows.height == 0:
        return pl.Series("duplicate", [], dtype=pl.Boolean)
    cols = ["student_code", "school_code", "event_type", "event_date"]
    new = rows.select(*cols, pl.int_range(pl.len(), dtype=pl.Int64).alias("__i"), pl.lit(1).alias("__o"))
    # A new row with the key of an earlier one is a correction: it replaces it, it does not repeat it.
    old = (
        enrollments.select(*cols)
        .join(new.select(cols), on=cols, how="anti", nulls_equal=True)
        .with_columns(pl.lit(None, dtype=pl.Int64).alias("__i"), pl.lit(0).alias("__o"))
    )
    merged = (
        pl.concat([old, new], how="vertical_relaxed")
        .with_columns(_direction().alias("__dir"))
        .drop_nulls(["student_code", "event_date", "__dir"])
        .with_columns(pl.when(pl.col("__dir") == "out").then(0).otherwise(1).alias("__rank"))
        .sort("student_code", "event_date", "__rank", "__o", "__i")
        .with_columns(pl.col("__dir").shift(1).over("student_code").alias("__prev"))
    )
    flagged = merged.filter(
        pl.col("__i").is_not_null() & pl.col("event_type").is_in(STARTS_AGAIN) & (pl.col("__prev") == "in")
    )["__i"]
    return _flags(rows.height, flagged, pl.repeat(True, flagged.len(), dtype=pl.Boolean, eager=True)).alias(
        "duplicate"
    )
