"""The absence rules shared by the absence page and the directorates' alerts, defined once here: what makes
a day a spike, and which schools did not record attendance.

Both read the published warehouse: the absence page through ``dashboards.data_access.absences`` (which
builds its spike query with :func:`spikes_sql`), the alerts through ``dashboards.alerts``. Every query is
constant SQL with bound parameters; the only parts put together are the unit column and the names query,
chosen from fixed lists by the callers (never user input).
"""

from __future__ import annotations

from typing import Final

#: A day is a spike for a unit when its absence rate exceeds the unit's usual level, the mean of its
#: previous SPIKE_WINDOW school days, by more than SPIKE_K sample standard deviations of those days.
#: 2 sd: the directorates' early warning, looser than the gate's 3 sd on whole regions (expectations/gate.py).
SPIKE_K: Final[float] = 2.0
#: previous school days the usual level is computed on
SPIKE_WINDOW: Final[int] = 20
#: spikes are reported over the last SPIKE_RECENT_DAYS school days (about a month) on the absence page
SPIKE_RECENT_DAYS: Final[int] = 20
#: fewer previous school days than this: no judgement
SPIKE_MIN_DAYS: Final[int] = 5
#: fewer absent pupils that day than this: no spike (two absent pupils in a class of three is noise)
SPIKE_MIN_ABSENT: Final[int] = 3

#: A school "did not record attendance" on a day when none or only some of its classes with pupils took
#: their roll call (``reference.code_recording_statuses``); a school whose region sent no file that day is not
#: counted (``no_file_received``: nothing is known about it).
MISSING_RECORDING_STATUSES: Final[tuple[str, str]] = ("not_recorded", "partly_recorded")

#: Territory filter on a table with region_code, province_code and school_code; bind
#: ``(region, region, province, province, school, school)``, ``None`` = no filter at that level.
TERRITORY_FILTER: Final[str] = """
    (cast(? as varchar) is null or region_code = ?)
    and (cast(? as varchar) is null or province_code = ?)
    and (cast(? as varchar) is null or school_code = ?)
"""

#: The daily class rows of one school year within a territory whose region sent a file that day (bind year
#: + territory): a day of no_file_received is unknown, never counted as zero absences.
DAILY_CLASS_ROWS: Final[str] = f"""
    select *
    from marts.agg_absence_class_daily
    where school_year = ? and {TERRITORY_FILTER} and recording_status != 'no_file_received'
"""


def spikes_sql(unit_column: str, names_sql: str) -> str:
    """The spike rule per unit (``unit_column`` of ``agg_absence_class_daily``: province_code,
    school_code...) over the reported school days; ``names_sql`` gives ``unit_code, unit_name_fr,
    unit_name_ar``. Bind :func:`spike_params`.

    Columns: ``unit_code, unit_name_fr, unit_name_ar, calendar_date, school_day_number, enrolled, absent,
    rate, usual_rate, usual_sd, threshold``, latest day first, then highest rate.
    """
    return f"""
        with src as ({DAILY_CLASS_ROWS} and school_day_number between ? and ?),
        daily as (
            select
                {unit_column} as unit_code,
                calendar_date,
                school_day_number,
                sum(pupils_enrolled) as enrolled,
                sum(pupils_absent) as absent,
                sum(pupils_absent) / nullif(sum(pupils_enrolled), 0) as rate
            from src
            group by {unit_column}, calendar_date, school_day_number
        ),
        judged as (
            select
                *,
                avg(rate) over previous_days as usual_rate,
                stddev_samp(rate) over previous_days as usual_sd,
                count(rate) over previous_days as previous_days
            from daily
            window previous_days as (
                partition by unit_code order by calendar_date
                rows between ? preceding and 1 preceding
            )
        ),
        names as ({names_sql})
        select
            judged.unit_code,
            coalesce(names.unit_name_fr, judged.unit_code) as unit_name_fr,
            coalesce(names.unit_name_ar, judged.unit_code) as unit_name_ar,
            judged.calendar_date,
            judged.school_day_number,
            judged.enrolled::bigint as enrolled,
            judged.absent::bigint as absent,
            judged.rate,
            judged.usual_rate,
            judged.usual_sd,
            judged.usual_rate + ? * coalesce(judged.usual_sd, 0) as threshold
        from judged
        left join names on names.unit_code = judged.unit_code
        where judged.school_day_number >= ?
            and judged.previous_days >= ?
            and judged.absent >= ?
            and judged.rate > judged.usual_rate + ? * coalesce(judged.usual_sd, 0)
        order by judged.calendar_date desc, judged.rate desc, judged.unit_code
    """


def spike_params(
    school_year: str, territory: tuple[str | None, ...], day_number: int, recent_days: int
) -> tuple[object, ...]:
    """Parameters of :func:`spikes_sql`: the spikes of the ``recent_days`` school days up to
    ``day_number`` (1: that day only); only the school days the rule needs are read."""
    first_reported = day_number - recent_days + 1
    return (
        school_year,
        *territory,
        first_reported - SPIKE_WINDOW,
        day_number,
        SPIKE_WINDOW,
        SPIKE_K,
        first_reported,
        SPIKE_MIN_DAYS,
        SPIKE_MIN_ABSENT,
        SPIKE_K,
    )


#: Schools that did not record attendance on one day (bind year, day, the two
#: :data:`MISSING_RECORDING_STATUSES`, territory): ``school_code, school_name_fr, school_name_ar,
#: region_code, province_code, calendar_date, recording_status, status_fr, status_ar, classes,
#: classes_recorded, classes_not_recorded, recorded_class_share``, by province and school.
MISSING_RECORDING_SQL: Final[str] = """
    select
        c.school_code,
        coalesce(s.school_name_fr, c.school_code) as school_name_fr,
        coalesce(s.school_name_ar, c.school_code) as school_name_ar,
        c.region_code,
        c.province_code,
        c.calendar_date,
        c.recording_status,
        st.label_fr as status_fr,
        st.label_ar as status_ar,
        c.classes,
        c.classes_recorded,
        c.classes_not_recorded,
        c.recorded_class_share
    from marts.agg_recording_compliance as c
    left join marts.dim_school as s on s.school_code = c.school_code
    left join reference.code_recording_statuses as st on st.status_code = c.recording_status
    where c.school_year = ? and c.calendar_date = cast(? as date)
        and c.recording_status in (?, ?)
        and (cast(? as varchar) is null or c.region_code = ?)
        and (cast(? as varchar) is null or c.province_code = ?)
        and (cast(? as varchar) is null or c.school_code = ?)
    order by c.province_code, c.school_code
"""
