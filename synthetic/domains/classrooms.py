"""Classrooms (Massar "gestion des locaux") and the school's physical structure (buildings).

Consistent with the timetables: every room a timetable names (``S01``.., the classrooms the school's
classes share, ``LABO-PC``, ``LABO-SVT``, ``TERRAIN``) exists, with a usable status (in service or needs
repair). Schools
also have rooms no timetable uses: spare classrooms (some out of service), and by cycle a computer room, a
workshop, a library, a multipurpose room. Rooms are grouped into buildings (blocs) of up to
``ROOMS_PER_BUILDING``; a building is masonry or prefabricated and has a construction year.

No published figure on rooms was found in ``../shared/reference-data/``: every share below is an
assumption (UNVERIFIED), chosen to look plausible, and stated here. In particular there is no national
count of classrooms nor of pupils per classroom there; the nearest reference is the class size (press,
``education_stats/morocco_education_official_figures_from_press.csv``: 8.8 % of public primary, 26 % of
collège and 22.9 % of qualifiant classes above 40 pupils in 2017-2018), and a classroom holds one class
at a time. The number of classrooms follows from the timetables (the classes of a school share its
rooms where their sessions do not overlap, ``synthetic.timetables``) plus the spare rooms below.
Measured on the 8,000-pupil demo (seed 42, last school year, ``marts.agg_school_resources``), pupils per
usable classroom: preschool 22.5, primary 25.6, collège 24.4, lycée 26.3 (one room per class and spare
rooms for small schools gave 19.9 in preschool and lycée). Double shifts (two groups taking turns in a
room) are not modelled.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic import faults
from synthetic.domains import DomainContext
from synthetic.faults import FaultContext, register

ENTITY = "classrooms"

# UNVERIFIED assumptions (no reference figure): spare classrooms per used classroom (none in a preschool
# unit, one or two rooms; a school with no classroom in use has one), the share of spare
# rooms out of service, of used rooms needing repair, and of buildings that are prefabricated by area and
# cycle (prefabricated classrooms are mostly rural primary schools, the ones the replacement programmes
# target).
SPARE_CLASSROOM_SHARE = 0.15
SPARE_OUT_OF_SERVICE = 0.35
USED_NEEDS_REPAIR = 0.08
PREFABRICATED_SHARE = {("rural", "primary"): 0.25, ("rural", "other"): 0.10, ("urban", "other"): 0.04}
ROOMS_PER_BUILDING = 8
AREA_MISSING = 0.10
# Optional rooms by cycle: probability that a school of the cycle has one (UNVERIFIED).
OPTIONAL_ROOMS: dict[str, dict[str, float]] = {
    "INFO-01": {"lower_secondary": 0.6, "upper_secondary": 0.8, "primary": 0.1},
    "ATELIER-01": {"upper_secondary": 0.3},
    "BIB-01": {"primary": 0.2, "lower_secondary": 0.5, "upper_secondary": 0.6},
    "POLY-01": {"primary": 0.2, "lower_secondary": 0.3, "upper_secondary": 0.3, "preschool": 0.2},
}
# Type, seats (low, high) and floor area in m2 (low, high) by code family.
ROOM_KIND: dict[str, tuple[str, tuple[int, int], tuple[int, int]]] = {
    "S": ("class", (30, 48), (42, 60)),
    "LABO": ("lab", (24, 32), (60, 80)),
    "ATELIER": ("workshop", (16, 24), (80, 150)),
    "INFO": ("computer_room", (20, 30), (50, 70)),
    "BIB": ("library", (20, 40), (50, 100)),
    "POLY": ("multipurpose", (40, 60), (80, 160)),
    "TERRAIN": ("sports_ground", (40, 60), (600, 1500)),
}
FIRST_BUILT, LAST_BUILT = 1960, 2023


def _family(code: str) -> str:
    return "S" if code[0] == "S" and code[1:].isdigit() else code.split("-")[0]


def _rooms_of_school(
    rng: np.random.Generator, used: list[str], cycle: str
) -> list[tuple[str, str]]:  # (code, status)
    homes = sorted(int(c[1:]) for c in used if _family(c) == "S")
    k = max(homes, default=0)
    share = 0.0 if cycle == "preschool" else SPARE_CLASSROOM_SHARE
    spare = int(rng.binomial(k, share)) + (0 if k else 1)
    rooms: list[tuple[str, str]] = []
    for i in range(1, k + spare + 1):
        code = f"S{i:02d}"
        if code in used:
            rooms.append((code, "needs_repair" if rng.random() < USED_NEEDS_REPAIR else "in_service"))
        else:
            rooms.append((code, "out_of_service" if rng.random() < SPARE_OUT_OF_SERVICE else "in_service"))
    for code in sorted(c for c in used if _family(c) != "S"):
        rooms.append((code, "needs_repair" if rng.random() < USED_NEEDS_REPAIR else "in_service"))
    for code, by_cycle in OPTIONAL_ROOMS.items():
        if rng.random() < by_cycle.get(cycle, 0.0):
            rooms.append(
                (code, "out_of_service" if rng.random() < SPARE_OUT_OF_SERVICE / 2 else "in_service")
            )
    return rooms


def generate(ctx: DomainContext) -> pl.DataFrame:
    """The classrooms entity (typed)."""
    rng = ctx.rng
    schools = ctx.frames["schools"].select("school_code", "sector", "area", "cycle_code").sort("school_code")
    used = (
        ctx.frames["timetables"]
        .filter(pl.col("classroom_code").is_not_null())
        .group_by("school_code")
        .agg(pl.col("classroom_code").unique().sort())
    )
    used_by = dict(zip(used["school_code"].to_list(), used["classroom_code"].to_list(), strict=True))
    rows: dict[str, list] = {k: [] for k in ("school_code", "classroom_code", "room_type", "operating_status",
                                             "capacity", "area_m2", "building_code", "construction_type",
                                             "built_year")}  # fmt: skip
    for school, sector, area, cycle in schools.iter_rows():
        rooms = _rooms_of_school(rng, used_by.get(school, []), cycle)
        buildings = (len(rooms) + ROOMS_PER_BUILDING - 1) // ROOMS_PER_BUILDING
        kind = (area, "primary" if cycle == "primary" else "other")
        p_prefab = PREFABRICATED_SHARE.get(kind, PREFABRICATED_SHARE[("urban", "other")])
        prefab = rng.random(buildings) < p_prefab
        first = FIRST_BUILT if sector == "public" else 1990
        built = rng.integers(first, LAST_BUILT + 1, buildings)
        for i, (code, status) in enumerate(rooms):
            room_type, seats, surface = ROOM_KIND[_family(code)]
            b = min(i // ROOMS_PER_BUILDING, buildings - 1) if room_type != "sports_ground" else 0
            cap = int(rng.integers(seats[0], seats[1] + 1))
            if sector == "private" and room_type == "class":
                cap = min(cap, 35)
            size = float(rng.integers(surface[0], surface[1] + 1))
            if prefab[b] and room_type != "sports_ground":
                size = round(size * 0.85)
            rows["school_code"].append(school)
            rows["classroom_code"].append(code)
            rows["room_type"].append(room_type)
            rows["operating_status"].append(status)
            rows["capacity"].append(cap)
            rows["area_m2"].append(None if rng.random() < AREA_MISSING else size)
            rows["building_code"].append(f"B{b + 1}")
            rows["construction_type"].append("prefabricated" if prefab[b] else "masonry")
            rows["built_year"].append(int(built[b]))
    n = len(rows["school_code"])
    frame = pl.DataFrame(
        {
            "school_year": pl.Series([ctx.school_year] * n, dtype=pl.String),
            "region_code": pl.Series([ctx.region_code] * n, dtype=pl.String),
            "school_code": pl.Series(rows["school_code"], dtype=pl.String),
            "classroom_code": pl.Series(rows["classroom_code"], dtype=pl.String),
            "room_type": pl.Series(rows["room_type"], dtype=pl.String),
            "operating_status": pl.Series(rows["operating_status"], dtype=pl.String),
            "capacity": pl.Series(rows["capacity"], dtype=pl.Int64),
            "area_m2": pl.Series(rows["area_m2"], dtype=pl.Float64),
            "building_code": pl.Series(rows["building_code"], dtype=pl.String),
            "construction_type": pl.Series(rows["construction_type"], dtype=pl.String),
            "built_year": pl.Series(rows["built_year"], dtype=pl.Int64),
        }
    )
    return frame.sort("school_code", "classroom_code")


# --- fault classes of the domain ------------------------------------------------------------------

faults.extend("unknown_school", ENTITY)


@register("classroom_capacity_out_of_range", outcome="out_of_range", entities=(ENTITY,))
def classroom_capacity_out_of_range(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The room's capacity is outside 1-60 seats (0, a negative number, a typo with one digit more)."""
    values = ["0", "-5", "120", "350", "61", "999"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("capacity", picks, dtype=pl.String))


@register("unknown_classroom_type", outcome="unknown_code", entities=(ENTITY,))
def unknown_classroom_type(rows: pl.DataFrame, ctx: FaultContext) -> pl.DataFrame:
    """The room type is not a code of the code_classroom_types list (a label typed instead of the code)."""
    values = ["Salle", "amphi", "CLASS", "laboratoire", "préau"]
    picks = [values[i] for i in ctx.rng.integers(0, len(values), rows.height)]
    return rows.with_columns(pl.Series("room_type", picks, dtype=pl.String))
