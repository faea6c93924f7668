"""Absence monitoring for the directorates: daily and weekly rates, spikes, chronic absentees, recording gaps.

Daily figures come from ``marts.agg_absence_class_daily`` (class x school day), recording compliance from
``marts.agg_recording_compliance`` (school x school day); chronic absentees from the pupil-grain
``marts.fct_attendance_ytd`` narrowed to the territory (pseudonymous keys, never names; the Massar
code for school and directorate roles only, from the follow-up store: ``_followup``).

"Today" is the last school day loaded in the selected year within the territory; "this week" runs from
the Monday of that day's week up to it. Only the days a region sent a file count (roll calls or
absences, ``recording_status`` other than ``no_file_received``): a unit with nothing received has null
counts ("no data received"), never zero. Rates of a unit are ratios of sums (absent pupil-days over
enrolled pupil-days), never means of class rates.

Units of the drill-down follow the territory: no region chosen -> one row per region; a region -> per
province; a province -> per school; a school -> per class.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

import polars as pl

from dashboards.absence_rules import (  # noqa: F401 (the rule's constants, shown by the page)
    DAILY_CLASS_ROWS,
    MISSING_RECORDING_SQL,
    MISSING_RECORDING_STATUSES,
    SPIKE_K,
    SPIKE_MIN_ABSENT,
    SPIKE_MIN_DAYS,
    SPIKE_RECENT_DAYS,
    SPIKE_WINDOW,
    spike_params,
    spikes_sql,
)
from dashboards.data_access import _followup
from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope, Territory

Level = Literal["region", "province", "school", "class"]

#: at most this many classes in the list of classes without any absence recorded
SILENT_LIST_LIMIT: Final[int] = 500

# The daily class rows of one school year within a territory whose region sent a file that day (constant
# SQL; bind year + territory): a day of no_file_received is unknown, never counted as zero absences.
_DAILY = DAILY_CLASS_ROWS

# Per level of the drill-down: the unit column and the names of the units (constant SQL fragments).
_UNIT_COLUMN: Final[dict[Level, str]] = {
    "region": "region_code",
    "province": "province_code",
    "school": "school_code",
    "class": "class_code",
}
_UNIT_NAMES: Final[dict[Level, str]] = {
    "region": "select region_code as unit_code, name_fr as unit_name_fr, name_ar as unit_name_ar "
    "from reference.code_regions",
    "province": "select province_code as unit_code, name_fr as unit_name_fr, name_ar as unit_name_ar "
    "from reference.code_provinces",
    "school": "select school_code as unit_code, school_name_fr as unit_name_fr, "
    "school_name_ar as unit_name_ar from marts.dim_school",
    "class": "select class_code as unit_code, any_value(class_code || ' · ' || coalesce(level_code, '')) "
    "as unit_name_fr, any_value(class_code || ' · ' || coalesce(level_code, '')) as unit_name_ar "
    "from marts.dim_class group by class_code",
}


# Units shown even without any class in the warehouse: every region at the national level (a region
# whose files never arrived shows as "no data received", not as absent from the list).
_ALL_UNITS_EXTRA: Final[dict[Level, str]] = {
    "region": "union select region_code as unit_code from reference.code_regions",
    "province": "",
    "school": "",
    "class": "",
}


def _unit_level(territory: Territory) -> Level:
    """The drill-down level below a territory: region -> province -> school -> class."""
    if territory.school_code is not None:
        return "class"
    if territory.province_code is not None:
        return "school"
    if territory.region_code is not None:
        return "province"
    return "region"


def _territory(scope: Scope, region: str | None, province: str | None, school: str | None) -> Territory:
    return scope.territory(region, province, school)


def last_loaded_day(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The last school day loaded in the territory ("today"), the first day of its week and its rank in
    the school year.

    One row ``day, week_start, day_number`` (all null when nothing is loaded).
    """
    territory = _territory(scope, region, province, school)
    return _run(
        f"""
        with src as ({_DAILY})
        select
            max(calendar_date) as day,
            cast(date_trunc('week', max(calendar_date)) as date) as week_start,
            max(school_day_number) as day_number
        from src
        """,
        school_year,
        *territory.params(),
    )


def _day(school_year: str, territory: Territory, day: date | None) -> date | None:
    """``day`` when the caller knows it (the page does), else the territory's last loaded day.

    The day is then bound as a parameter, so the scans of the other queries are pruned to it.
    """
    if day is not None:
        return day
    found = _run(
        f"with src as ({_DAILY}) select max(calendar_date) as day from src", school_year, *territory.params()
    )
    value: date | None = found["day"][0]
    return value


def absence_by_unit(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    day: date | None = None,
) -> pl.DataFrame:
    """Today's and this week's absence per unit of the drill-down level (see the module doc).

    ``day`` is "today" (default: the territory's last loaded day, see :func:`last_loaded_day`).
    ``level, unit_code, unit_name_fr, unit_name_ar, enrolled_today, absent_today, rate_today,
    enrolled_week, absent_week, rate_week``, one row per unit with pupils in the year (``marts.dim_class``;
    at the region level every region of ``reference.code_regions``), ordered by unit code. A unit whose data
    was not received (no file that day, or this week) has null counts and rates, not zeros.
    ``enrolled_week`` and ``absent_week`` are pupil-days.
    """
    territory = _territory(scope, region, province, school)
    level = _unit_level(territory)
    column = _UNIT_COLUMN[level]
    today = _day(school_year, territory, day)
    return _run(
        f"""
        with src as ({_DAILY}
            and calendar_date between cast(date_trunc('week', cast(? as date)) as date) and cast(? as date)
        ),
        units as (
            select
                src.{column} as unit_code,
                sum(src.pupils_enrolled) filter (where src.calendar_date = cast(? as date)) as enrolled_today,
                sum(src.pupils_absent) filter (where src.calendar_date = cast(? as date)) as absent_today,
                sum(src.pupils_enrolled) as enrolled_week,
                sum(src.pupils_absent) as absent_week
            from src
            group by src.{column}
        ),
        -- every unit with pupils this year (every region at the region level), so that a unit with
        -- nothing received still shows, as such
        all_units as (
            select distinct {column} as unit_code
            from marts.dim_class
            where school_year = ? and pupils_enrolled > 0 and {TERRITORY_WHERE}
            {_ALL_UNITS_EXTRA[level]}
        ),
        names as ({_UNIT_NAMES[level]})
        select
            ? as level,
            all_units.unit_code,
            coalesce(names.unit_name_fr, all_units.unit_code) as unit_name_fr,
            coalesce(names.unit_name_ar, all_units.unit_code) as unit_name_ar,
            units.enrolled_today::bigint as enrolled_today,
            units.absent_today::bigint as absent_today,
            units.absent_today / nullif(units.enrolled_today, 0) as rate_today,
            units.enrolled_week::bigint as enrolled_week,
            units.absent_week::bigint as absent_week,
            units.absent_week / nullif(units.enrolled_week, 0) as rate_week
        from all_units
        left join units on units.unit_code = all_units.unit_code
        left join names on names.unit_code = all_units.unit_code
        order by all_units.unit_code
        """,
        school_year,
        *territory.params(),
        today,
        today,
        today,
        today,
        school_year,
        *territory.params(),
        level,
    )


def daily_absence(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The territory's absence rate per school day: ``calendar_date, enrolled, absent, rate``."""
    territory = _territory(scope, region, province, school)
    return _run(
        f"""
        with src as ({_DAILY})
        select
            calendar_date,
            sum(pupils_enrolled)::bigint as enrolled,
            sum(pupils_absent)::bigint as absent,
            sum(pupils_absent) / nullif(sum(pupils_enrolled), 0) as rate
        from src
        group by calendar_date
        order by calendar_date
        """,
        school_year,
        *territory.params(),
    )


def absence_spikes(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    day_number: int | None = None,
) -> pl.DataFrame:
    """Recent days whose absence rate is above the usual level (rule: :data:`SPIKE_K` and the constants
    above): the last :data:`SPIKE_RECENT_DAYS` school days up to ``day_number`` (default: the territory's
    last loaded day, see :func:`last_loaded_day`); only the school days the rule needs are read.

    Units: provinces when no province is chosen, else schools. ``unit_code, unit_name_fr, unit_name_ar,
    calendar_date, school_day_number, enrolled, absent, rate, usual_rate, usual_sd, threshold``, latest day
    first.
    """
    territory = _territory(scope, region, province, school)
    level: Level = "province" if territory.province_code is None else "school"
    column = _UNIT_COLUMN[level]
    if day_number is None:
        loaded = last_loaded_day(school_year, scope=scope, region=region, province=province, school=school)
        day_number = loaded["day_number"][0]
    if day_number is None:
        day_number = 0
    return _run(
        spikes_sql(column, _UNIT_NAMES[level]),
        *spike_params(school_year, territory.params(), day_number, SPIKE_RECENT_DAYS),
    )


_YTD = f"""
    select *
    from marts.fct_attendance_ytd
    where school_year = ? and {TERRITORY_WHERE}
"""


def chronic_by_school(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Chronic absenteeism per school, year to date (schools with at least one chronic absentee).

    ``school_code, school_name_fr, school_name_ar, province_code, pupils_classified, chronically_absent,
    chronic_rate, band_at_risk, band_moderate, band_severe, longest_streak``; most chronic absentees first.
    """
    territory = _territory(scope, region, province, school)
    return _run(
        f"""
        with src as ({_YTD}),
        per_school as (
            select
                school_code,
                any_value(province_code) as province_code,
                count(attendance_band) as pupils_classified,
                count(*) filter (where is_chronically_absent) as chronically_absent,
                count(*) filter (where attendance_band = 'at_risk') as band_at_risk,
                count(*) filter (where attendance_band = 'moderate') as band_moderate,
                count(*) filter (where attendance_band = 'severe') as band_severe,
                max(longest_absence_streak) filter (where is_chronically_absent) as longest_streak
            from src
            group by school_code
        )
        select
            p.school_code,
            coalesce(s.school_name_fr, p.school_code) as school_name_fr,
            coalesce(s.school_name_ar, p.school_code) as school_name_ar,
            p.province_code,
            p.pupils_classified::bigint as pupils_classified,
            p.chronically_absent::bigint as chronically_absent,
            p.chronically_absent / nullif(p.pupils_classified, 0) as chronic_rate,
            p.band_at_risk::bigint as band_at_risk,
            p.band_moderate::bigint as band_moderate,
            p.band_severe::bigint as band_severe,
            p.longest_streak
        from per_school as p
        left join marts.dim_school as s on s.school_code = p.school_code
        where p.chronically_absent > 0
        order by p.chronically_absent desc, p.school_code
        """,
        school_year,
        *territory.params(),
    )


def chronic_absentees(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    limit: int | None = None,
) -> pl.DataFrame:
    """The chronically absent pupils of the territory, every one of them (at most ``limit`` when given).

    ``student_key, school_code, school_name_fr, school_name_ar, class_code, level_code,
    enrolled_school_days, absent_days, absence_rate, attendance_band, longest_absence_streak``; highest
    absence rate first. For school and directorate roles (``_followup.FOLLOWUP_ROLES``) a
    ``student_code`` column follows ``student_key``: the pupil's Massar code, for follow-up, read from the
    version's follow-up store (null if the store is missing), never from the analysts' warehouse. The
    ministry gets no such column: pseudonymous keys only (``docs/access-policy.md``).
    """
    territory = _territory(scope, region, province, school)
    pupils = _run(
        f"""
        with src as ({_YTD})
        select
            src.student_key, src.school_code,
            coalesce(s.school_name_fr, src.school_code) as school_name_fr,
            coalesce(s.school_name_ar, src.school_code) as school_name_ar,
            src.class_code, src.level_code, src.enrolled_school_days, src.absent_days,
            src.absence_rate, src.attendance_band, src.longest_absence_streak
        from src
        left join marts.dim_school as s on s.school_code = src.school_code
        where src.is_chronically_absent
        order by src.absence_rate desc, src.longest_absence_streak desc, src.student_key
        limit ?
        """,
        school_year,
        *territory.params(),
        limit,
    )
    if scope.role not in _followup.FOLLOWUP_ROLES:
        return pupils
    codes = _followup.massar_codes(school_year, scope, territory)
    if codes is None:
        codes = pl.DataFrame(schema={"student_key": pl.String, "student_code": pl.String})
    joined = pupils.join(codes, on="student_key", how="left", maintain_order="left")
    return joined.select("student_key", "student_code", *pupils.columns[1:])


def recording_gaps(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    day: date | None = None,
) -> pl.DataFrame:
    """Schools where some or all classes took no roll call on ``day`` (default: the territory's last loaded
    day): ``recording_status`` ``not_recorded`` or ``partly_recorded`` in ``marts.agg_recording_compliance``
    (the classes' roll calls and absences; a day with no absence but a roll call is recorded), the rule of
    the missing-recording alerts (``dashboards.absence_rules``). ``school_code, school_name_fr,
    school_name_ar, region_code, province_code, calendar_date, recording_status, status_fr, status_ar,
    classes, classes_recorded, classes_not_recorded, recorded_class_share``.
    """
    territory = _territory(scope, region, province, school)
    today = _day(school_year, territory, day)
    return _run(MISSING_RECORDING_SQL, school_year, today, *MISSING_RECORDING_STATUSES, *territory.params())


def recording_status_counts(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    day: date | None = None,
) -> pl.DataFrame:
    """Schools per recording status on ``day`` (default: the territory's last loaded day), every status of
    ``reference.code_recording_statuses`` in its display order:
    ``status_code, status_fr, status_ar, schools``.
    Schools whose region sent no file that day count under ``no_file_received``."""
    territory = _territory(scope, region, province, school)
    today = _day(school_year, territory, day)
    return _run(
        """
        with days as (
            select recording_status, count(*) as schools
            from marts.agg_recording_compliance
            where school_year = ? and calendar_date = cast(? as date)
                and (cast(? as varchar) is null or region_code = ?)
                and (cast(? as varchar) is null or province_code = ?)
                and (cast(? as varchar) is null or school_code = ?)
            group by recording_status
        )
        select
            st.status_code,
            st.label_fr as status_fr,
            st.label_ar as status_ar,
            coalesce(days.schools, 0)::bigint as schools
        from reference.code_recording_statuses as st
        left join days on days.recording_status = st.status_code
        order by st.sort_order
        """,
        school_year,
        today,
        *territory.params(),
    )


def silent_classes(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
    day: date | None = None,
    limit: int = SILENT_LIST_LIMIT,
) -> pl.DataFrame:
    """Classes with pupils that took no roll call on ``day`` (default: the territory's last loaded day):
    ``recording_status = 'not_recorded'`` in ``marts.agg_absence_class_daily`` (a class that took its roll
    call and had nobody absent is not listed; a region that sent no file is not either).
    ``school_code, class_code, level_code, pupils_enrolled, silent_classes`` (the count of all such
    classes, on every row), by school and class, at most ``limit`` rows.
    """
    territory = _territory(scope, region, province, school)
    today = _day(school_year, territory, day)
    return _run(
        f"""
        with src as ({_DAILY} and calendar_date = cast(? as date))
        select
            school_code, class_code, level_code, pupils_enrolled, count(*) over () as silent_classes
        from src
        where pupils_enrolled > 0 and recording_status = 'not_recorded'
        order by school_code, class_code
        limit ?
        """,
        school_year,
        *territory.params(),
        today,
        limit,
    )
