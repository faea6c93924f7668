"""The school calendar, read from the calendar seeds: the single calendar of the project.

``dbt/seeds/calendar/school_calendar.csv`` (first and last day, start of semester 2 of each school year)
and ``dbt/seeds/calendar/school_holidays.csv`` (every day off but Sundays, with its label) are read
through :func:`ingestion.codelists.read_seed`, the same files the ingestion uses to reject absences on
non-school days and that dbt loads. How the seeds were built (SOURCED 2024-25 breaks of the rules
file, civil holidays on fixed dates, Hijri holidays approximated by 354.367 days per Hijri year,
UNVERIFIED +-1 day) is documented in docs/synthetic.md.

Sundays are closed; Saturday afternoon is closed too (only the morning half of the sessions).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from ingestion.codelists import read_seed


def school_year_label(first_year: int) -> str:
    """``2024`` -> ``"2024-2025"``."""
    return f"{first_year}-{first_year + 1}"


def first_year_of(school_year: str) -> int:
    """``"2024-2025"`` -> ``2024`` (checks the label)."""
    start, _, end = school_year.partition("-")
    if not (len(start) == 4 and start.isdigit() and end == str(int(start) + 1)):
        raise ValueError(f"not a school year label: {school_year!r} (expected like '2024-2025')")
    return int(start)


@cache
def _year_row(school_year: str) -> dict[str, str]:
    first_year_of(school_year)
    for row in read_seed("school_calendar"):
        if row["school_year"] == school_year:
            return row
    raise ValueError(f"the calendar seed has no school year {school_year!r}")


def first_day(school_year: str) -> date:
    """First day of classes."""
    return date.fromisoformat(_year_row(school_year)["first_day"])


def last_day(school_year: str) -> date:
    """Last day of classes."""
    return date.fromisoformat(_year_row(school_year)["last_day"])


def second_semester_start(school_year: str) -> date:
    """First school day of semester 2 (semester 1 ends before it)."""
    return date.fromisoformat(_year_row(school_year)["semester2_start"])


@cache
def _holidays(school_year: str) -> tuple[tuple[date, str], ...]:
    _year_row(school_year)
    found = {
        date.fromisoformat(r["holiday_date"]): r["label_fr"]
        for r in read_seed("school_holidays")
        if r["school_year"] == school_year
    }
    return tuple(sorted(found.items()))


def holidays(school_year: str) -> dict[date, str]:
    """Every day off (breaks, civil and religious holidays) of the school year, with its label.

    Sundays are not listed unless they fall inside a break.
    """
    return dict(_holidays(school_year))


@cache
def _school_days(school_year: str) -> tuple[date, ...]:
    off = holidays(school_year)
    start, end = first_day(school_year), last_day(school_year)
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return tuple(d for d in days if d.weekday() != 6 and d not in off)


def school_days(school_year: str) -> list[date]:
    """Days with classes (Monday to Saturday, not a holiday), from the first to the last day."""
    return list(_school_days(school_year))


def is_school_day(d: date, school_year: str) -> bool:
    return (
        first_day(school_year) <= d <= last_day(school_year)
        and d.weekday() != 6
        and d not in holidays(school_year)
    )


def sessions_on(d: date, sessions_per_day: int) -> int:
    """Sessions held on ``d``: all on weekdays, the morning half on Saturday, none on Sunday."""
    if d.weekday() == 6:
        return 0
    if d.weekday() == 5:
        return sessions_per_day // 2
    return sessions_per_day
