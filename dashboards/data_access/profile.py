"""The profile of a territory (a region, a province or a school) beside its region and the nation: the
figures of the printable profile (``dashboards.profile_pdf``).

One row per column of the profile, for one school year, all cycles together:

- enrollment: schools, pupils, classes (``marts.agg_school_capacity``, school grain);
- flows: promotion, repetition and dropout rates from the summed counts of ``marts.agg_flow_rates``
  (school grain; null while the next school year is not loaded), as the indicators page computes them;
- exams: 3AC and bac candidates, passed, pass rate on the complete candidates (``marts.agg_exam_results``
  for a region or the nation; ``marts.fct_certificate_3ac`` and ``marts.fct_baccalaureate`` narrowed to
  a province or a school);
- absences: absence rate (absent pupil-days over enrolled pupil-days) and chronic absenteeism (chronic
  absentees over the pupils classified), from ``marts.agg_attendance`` down to the province and
  ``marts.fct_attendance_ytd`` narrowed to a school;
- resources: teachers and classrooms, pupils per teacher, per class and per classroom
  (``marts.agg_school_capacity``).

Scope: the territory asked for must lie within the user's scope (``Scope.territory``: another region,
province or school raises ``ScopeError``). Its references are the totals of its own region and of the
nation, aggregates only (the same figures the public statistics publish at those levels): a province
user gets their province beside their region and the country, never another province.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.scope import Scope, ScopeError, Territory

#: the columns of the profile, in display order
ROWS: Final[tuple[str, ...]] = ("territory", "region", "national")

_CAPACITY_FLOWS = """
    cap as (
        select
            count(distinct school_code) as schools,
            sum(pupils)::bigint as pupils,
            sum(classes)::bigint as classes,
            sum(teachers)::bigint as teachers,
            sum(classrooms)::bigint as classrooms
        from marts.agg_school_capacity
        where school_year = ?
            and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
    ),
    flows as (
        select
            sum(promoted) / nullif(sum(rate_base), 0) as promotion_rate,
            sum(repeated) / nullif(sum(rate_base), 0) as repetition_rate,
            sum(dropped_out) / nullif(sum(rate_base), 0) as dropout_rate
        from marts.agg_flow_rates
        where school_year = ?
            and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
    )
"""

_SELECT = """
    select
        cap.schools,
        cap.pupils,
        cap.classes,
        flows.promotion_rate,
        flows.repetition_rate,
        flows.dropout_rate,
        exams.candidates,
        exams.complete,
        exams.passed,
        exams.passed / nullif(exams.complete, 0) as pass_rate,
        att.absent_days,
        att.enrolled_days,
        att.absent_days / nullif(att.enrolled_days, 0) as absence_rate,
        att.pupils_classified,
        att.chronically_absent,
        att.chronically_absent / nullif(att.pupils_classified, 0) as chronic_absence_rate,
        cap.teachers,
        cap.classrooms,
        cap.pupils / nullif(cap.teachers, 0) as pupils_per_teacher,
        cap.pupils / nullif(cap.classes, 0) as pupils_per_class,
        cap.pupils / nullif(cap.classrooms, 0) as pupils_per_classroom
    from cap, flows, exams, att
"""

# a region or the nation: the aggregate marts (province grain for exams and absences)
_AGGREGATE = f"""
    with
    {_CAPACITY_FLOWS},
    exams as (
        select
            sum(candidates)::bigint as candidates,
            sum(candidates_complete)::bigint as complete,
            sum(passed)::bigint as passed
        from marts.agg_exam_results
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
    ),
    att as (
        select
            sum(absent_days)::bigint as absent_days,
            sum(enrolled_school_days)::bigint as enrolled_days,
            sum(pupils_classified)::bigint as pupils_classified,
            sum(chronically_absent)::bigint as chronically_absent
        from marts.agg_attendance
        where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
    )
    {_SELECT}
"""

# a school: candidate- and pupil-grain facts narrowed to the school
_SCHOOL = f"""
    with
    {_CAPACITY_FLOWS},
    candidates as (
        select is_complete, passed from marts.fct_certificate_3ac
        where school_year = ? and province_code = ? and school_code = ?
        union all
        select is_complete, passed from marts.fct_baccalaureate
        where school_year = ? and province_code = ? and school_code = ?
    ),
    exams as (
        select
            count(*) as candidates,
            count(*) filter (where is_complete) as complete,
            count(*) filter (where passed) as passed
        from candidates
    ),
    att as (
        select
            sum(absent_days)::bigint as absent_days,
            sum(enrolled_school_days)::bigint as enrolled_days,
            count(attendance_band) as pupils_classified,
            count(*) filter (where is_chronically_absent) as chronically_absent
        from marts.fct_attendance_ytd
        where school_year = ? and province_code = ? and school_code = ?
    )
    {_SELECT}
"""

_NAMES = """
    select
        r.region_code,
        r.name_fr as region_name_fr,
        r.name_ar as region_name_ar,
        p.province_code,
        p.name_fr as province_name_fr,
        p.name_ar as province_name_ar,
        s.school_code,
        s.region_code as school_region_code,
        s.province_code as school_province_code,
        s.school_name_fr,
        s.school_name_ar
    from (select cast(? as varchar) as region_code, cast(? as varchar) as province_code,
        cast(? as varchar) as school_code) as wanted
    left join marts.dim_school as s on s.school_code = wanted.school_code
    left join reference.code_provinces as p
        on p.province_code = coalesce(wanted.province_code, s.province_code)
    left join reference.code_regions as r
        on r.region_code = coalesce(wanted.region_code, p.region_code, s.region_code)
"""


def _figures(school_year: str, territory: Territory) -> dict[str, object]:
    """The profile's figures of one territory (no scope check: callers narrow the territory first)."""
    filters = territory.params()
    if territory.school_code is not None:
        school = (school_year, territory.province_code, territory.school_code)
        frame = _run(_SCHOOL, school_year, *filters, school_year, *filters, *school, *school, *school)
    else:
        where = (school_year, *filters[:4])
        frame = _run(_AGGREGATE, school_year, *filters, school_year, *filters, *where, *where)
    return frame.row(0, named=True)


def territory_profile(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The profile of the territory (narrowed to the scope), its region and the nation, one row each.

    ``row`` (``territory``, ``region``, ``national``: a region's profile has no separate region row, the
    nation's has only the national row), ``territory_level`` (national, region, province, school),
    ``code, name_fr, name_ar``, and the figures: ``schools, pupils, classes, promotion_rate,
    repetition_rate, dropout_rate, candidates, complete, passed, pass_rate, absent_days, enrolled_days,
    absence_rate, pupils_classified, chronically_absent, chronic_absence_rate, teachers, classrooms,
    pupils_per_teacher, pupils_per_class, pupils_per_classroom``. Raises ``ScopeError`` for a territory
    outside the scope.
    """
    territory = scope.territory(region, province, school)
    names = _run(_NAMES, territory.region_code, territory.province_code, territory.school_code).row(
        0, named=True
    )
    if territory.school_code is not None and (
        names["school_code"] is None
        or territory.region_code not in (None, names["school_region_code"])
        or territory.province_code not in (None, names["school_province_code"])
    ):
        raise ScopeError(f"school {territory.school_code} is outside this user's scope")
    region_code = names["region_code"]
    province_code = territory.province_code or (names["province_code"] if territory.school_code else None)
    territory = Territory(region_code, province_code, territory.school_code)
    if territory.school_code is not None:
        level, code = "school", territory.school_code
        own = (names["school_name_fr"], names["school_name_ar"])
    elif territory.province_code is not None:
        level, code = "province", territory.province_code
        own = (names["province_name_fr"], names["province_name_ar"])
    elif territory.region_code is not None:
        level, code = "region", territory.region_code
        own = (names["region_name_fr"], names["region_name_ar"])
    else:
        level, code, own = "national", None, (None, None)
    rows: list[dict[str, object]] = []
    if level != "national":
        rows.append(
            {"row": "territory", "territory_level": level, "code": code, "name_fr": own[0], "name_ar": own[1]}
            | _figures(school_year, territory)
        )
    if level in ("province", "school"):
        rows.append(
            {
                "row": "region",
                "territory_level": "region",
                "code": region_code,
                "name_fr": names["region_name_fr"],
                "name_ar": names["region_name_ar"],
            }
            | _figures(school_year, Territory(region_code, None, None))
        )
    rows.append(
        {"row": "national", "territory_level": "national", "code": None, "name_fr": None, "name_ar": None}
        | _figures(school_year, Territory(None, None, None))
    )
    return pl.DataFrame(rows, infer_schema_length=None)
