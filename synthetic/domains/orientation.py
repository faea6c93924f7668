"""Orientation (Massar "orientation"): stream wishes at the end of 3AC and TC, and the stream granted.

Candidates are the pupils whose last movement of the year is an arrival in a 3AC or TC class. Their
year's average is the mean of their grades in the grades frame. Wishes are the streams offered after the
level (seed ``orientation_offers``), the first one drawn from the pupil's average (strong pupils wish the
scientific streams), the others in random order; a third wish is left empty for some pupils. The council
grants the first wish whose threshold (``min_average``, an assumption) the average plus a little noise
reaches, else the offered stream with the lowest threshold; pupils under ``REPEAT_BELOW`` are not
oriented. TC pupils of the letters stream stay in letters; the technological stream stays technological.

Shares and thresholds are UNVERIFIED assumptions (no published figure in ``../shared/reference-data/``).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ingestion.codelists import read_seed
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "orientation"
LEVELS = ("3AC", "TC")
REPEAT_BELOW = 8.5
NO_THIRD_WISH = 0.3
COUNCIL_NOISE_SD = 1.0
# Weight of each offered stream as a first wish, by band of the average (UNVERIFIED).
FIRST_WISH_WEIGHT: dict[str, dict[str, tuple[float, float, float]]] = {  # stream -> (<10, 10-13, >=13)
    "SC": (0.35, 0.55, 0.60),
    "SM": (0.02, 0.10, 0.35),
    "LET": (0.45, 0.20, 0.05),
    "ECO": (0.08, 0.15, 0.10),
    "TECH": (0.10, 0.12, 0.08),
}
# TC pupils of these streams only wish their own stream's continuation.
KEEP_STREAM = {"LET": ("LET",), "TECH": ("TECH",)}


def _offers() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in read_seed("xwalk_orientation_offers"):
        out.setdefault(r["after_level"], {})[r["stream_code"]] = float(r["min_average"])
    return out


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The orientation entity (typed)."""
    rng = ctx.rng
    moves = ctx.frames["enrollments"].sort("student_code", "event_date")
    last = moves.unique("student_code", keep="last", maintain_order=True)
    cand = last.filter(
        pl.col("event_type").is_in(["entry", "re_enrollment", "transfer_in"])
        & pl.col("level_code").is_in(LEVELS)
    ).select("school_code", "class_code", "student_code", "level_code")
    means = ctx.frames["grades"].group_by("student_code").agg(pl.col("grade").mean().alias("average"))
    streams = ctx.frames["classes"].select("class_code", "stream_code")
    cand = cand.join(means, on="student_code", how="left").join(streams, on="class_code", how="left")
    offers = _offers()
    end = int(ctx.school_year[5:])
    decided = date(end, 6, 25)
    out: dict[str, list] = {k: [] for k in ("wish_1", "wish_2", "wish_3", "stream_granted")}
    for level, stream, average in cand.select("level_code", "stream_code", "average").iter_rows():
        offered = offers[level]
        avg = 10.0 if average is None else float(average)
        choices = [
            s for s in offered if level == "3AC" or stream not in KEEP_STREAM or s in KEEP_STREAM[stream]
        ]
        band = 0 if avg < 10 else 1 if avg < 13 else 2
        weights = np.array([FIRST_WISH_WEIGHT[s][band] for s in choices])
        first = choices[int(rng.choice(len(choices), p=weights / weights.sum()))]
        rest = [s for s in choices if s != first]
        rng.shuffle(rest)
        wishes = [first, *rest][:3]
        if len(wishes) == 3 and rng.random() < NO_THIRD_WISH:
            wishes = wishes[:2]
        wishes += [None] * (3 - len(wishes))
        granted = None
        if avg >= REPEAT_BELOW:
            seen = avg + rng.normal(0.0, COUNCIL_NOISE_SD)
            granted = next((w for w in wishes if w is not None and seen >= offered[w]), None)
            if granted is None:
                granted = min(choices, key=lambda s: (offered[s], s))
        for k, v in zip(("wish_1", "wish_2", "wish_3"), wishes, strict=True):
            out[k].append(v)
        out["stream_granted"].append(granted)
    n = cand.height
    return pl.DataFrame(
        {
            "school_year": pl.Series([ctx.school_year] * n, dtype=pl.String),
            "region_code": pl.Series([ctx.region_code] * n, dtype=pl.String),
            "school_code": cand["school_code"],
            "class_code": cand["class_code"],
            "student_code": cand["student_code"],
            "level_code": cand["level_code"],
            **{k: pl.Series(k, v, dtype=pl.String) for k, v in out.items()},
            "decision_date": pl.Series([decided] * n, dtype=pl.Date),
        }
    ).sort("student_code")


# --- fault classes of the domain ------------------------------------------------------------------


def _has_granted(rows: pl.DataFrame, ctx: FaultContext) -> pl.Series:
    return rows["stream_granted"].is_not_null()


@register("stream_not_offered", outcome="stream_not_offered", entities=(ENTITY,), eligible=_has_granted)
def stream_not_offered(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The stream granted is a real stream that is not offered after the pupil's level (a 2BAC stream such
    as PC or SVT, or SM after 3AC)."""
    picks = []
    for level in rows["level_code"].to_list():
        values = ["PC", "SVT", "SM"] if level == "3AC" else ["PC", "SVT"]
        picks.append(values[int(ctx.rng.integers(0, len(values)))])
    return rows.with_columns(pl.Series("stream_granted", picks, dtype=pl.String))
