"""The school calendar: first and last day, holidays and school days of a school year.

Used by the generator (absences and tests fall on school days only) and meant to be imported by the
ingestion to check "absence on a non-school day".

- Classes start on the Monday nearest to 9 September (2024-25: Monday 9 September, rules §3,
  SOURCED) and end on the last day before 1 July that is not a Sunday.
- Breaks: the five 2024-25 breaks of the rules file (SOURCED), Sunday to Sunday, moved for other
  years to the same weekday nearest to the same calendar date.
- Civil holidays on fixed dates: 1 and 11 January, Yennayer (14 January, since 2024), 1 May,
  6 and 18 November.
- Religious holidays follow the Hijri calendar: approximated from their 2024-25 dates in Morocco
  (Mawlid 16 Sept 2024, Eid al-Fitr 31 March 2025, Eid al-Adha 7 June 2025, 1 Muharram 27 June 2025)
  moved by 354.367 days per Hijri year (UNVERIFIED: the real dates depend on moon sighting, +-1 day).
- Sundays are closed; Saturday afternoon is closed too (only the morning half of the sessions).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

REFERENCE_YEAR = 2024
_HIJRI_YEAR_DAYS = 354.367

# (label, first day, last day) of the 2024-25 breaks, inclusive; they run Sunday to Sunday.
_BREAKS_2024: tuple[tuple[str, date, date], ...] = (
    ("Vacances intermédiaires (octobre)", date(2024, 10, 20), date(2024, 10, 27)),
    ("Vacances intermédiaires (décembre)", date(2024, 12, 8), date(2024, 12, 15)),
    ("Vacances de mi-année", date(2025, 1, 26), date(2025, 2, 2)),
    ("Vacances intermédiaires (mars)", date(2025, 3, 16), date(2025, 3, 23)),
    ("Vacances intermédiaires (mai)", date(2025, 5, 4), date(2025, 5, 11)),
)
MID_YEAR_BREAK = "Vacances de mi-année"

# (label, month, day)
_FIXED_HOLIDAYS: tuple[tuple[str, int, int], ...] = (
    ("Nouvel an", 1, 1),
    ("Manifeste de l'indépendance", 1, 11),
    ("Nouvel an amazigh (Yennayer)", 1, 14),
    ("Fête du travail", 5, 1),
    ("Marche verte", 11, 6),
    ("Fête de l'indépendance", 11, 18),
)

# (label, a 2024-25 date in Morocco, number of days off)
_HIJRI_HOLIDAYS: tuple[tuple[str, date, int], ...] = (
    ("Aïd al-Mawlid", date(2024, 9, 16), 2),
    ("Aïd al-Fitr", date(2025, 3, 31), 2),
    ("Aïd al-Adha", date(2025, 6, 7), 2),
    ("Nouvel an de l'Hégire", date(2025, 6, 27), 1),
)


def school_year_label(first_year: int) -> str:
    """``2024`` -> ``"2024-2025"``."""
    return f"{first_year}-{first_year + 1}"


def first_year_of(school_year: str) -> int:
    """``"2024-2025"`` -> ``2024`` (checks the label)."""
    start, _, end = school_year.partition("-")
    if not (len(start) == 4 and start.isdigit() and end == str(int(start) + 1)):
        raise ValueError(f"not a school year label: {school_year!r} (expected like '2024-2025')")
    return int(start)


def first_day(school_year: str) -> date:
    """First day of classes: the Monday nearest to 9 September."""
    d = date(first_year_of(school_year), 9, 9)
    back = d.weekday()
    return d - timedelta(days=back) if back <= 3 else d + timedelta(days=7 - back)


def last_day(school_year: str) -> date:
    """Last day of classes: 30 June, or the Saturday before when it is a Sunday."""
    d = date(first_year_of(school_year) + 1, 6, 30)
    return d - timedelta(days=1) if d.weekday() == 6 else d


def _same_weekday_near(d: date, years: int) -> date:
    """The date with ``d``'s weekday nearest to ``d`` moved by ``years`` calendar years."""
    try:
        target = d.replace(year=d.year + years)
    except ValueError:  # 29 February
        target = d.replace(year=d.year + years, day=28)
    shift = (d.weekday() - target.weekday()) % 7
    if shift > 3:
        shift -= 7
    return target + timedelta(days=shift)


def breaks(school_year: str) -> list[tuple[str, date, date]]:
    """The school breaks of the year: (label, first day, last day), inclusive, in date order."""
    years = first_year_of(school_year) - REFERENCE_YEAR
    out = []
    for label, start, end in _BREAKS_2024:
        new_start = _same_weekday_near(start, years)
        out.append((label, new_start, new_start + (end - start)))
    return out


@cache
def _holidays(school_year: str) -> tuple[tuple[date, str], ...]:
    y = first_year_of(school_year)
    window_start, window_end = date(y, 7, 1), date(y + 1, 8, 31)
    found: dict[date, str] = {}
    for label, start, end in breaks(school_year):
        for i in range((end - start).days + 1):
            found.setdefault(start + timedelta(days=i), label)
    for label, month, day in _FIXED_HOLIDAYS:
        for year in (y, y + 1):
            d = date(year, month, day)
            if window_start <= d <= window_end:
                found.setdefault(d, label)
    for label, ref, days_off in _HIJRI_HOLIDAYS:
        for k in range(-40, 60):
            start = ref + timedelta(days=round(k * _HIJRI_YEAR_DAYS))
            for i in range(days_off):
                d = start + timedelta(days=i)
                if window_start <= d <= window_end:
                    found.setdefault(d, label)
    return tuple(sorted(found.items()))


def holidays(school_year: str) -> dict[date, str]:
    """Every day off (breaks, civil and religious holidays) from 1 July to 31 August, with its label.

    Sundays are not listed (they are always closed); days inside a break are, Sundays included.
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


def second_semester_start(school_year: str) -> date:
    """First school day after the mid-year break: semester 1 ends before it."""
    end_of_break = next(end for label, _, end in breaks(school_year) if label == MID_YEAR_BREAK)
    return next(d for d in _school_days(school_year) if d > end_of_break)
