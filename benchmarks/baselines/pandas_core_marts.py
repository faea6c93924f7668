"""pandas baseline: the core marts from the raw exports, as an analyst would write them with pandas.

    .venv/bin/python benchmarks/baselines/pandas_core_marts.py EXPORTS_DIR OUT_DIR

Reads every export CSV (bulk files and daily drops) with ``pandas.read_csv`` and the reference CSV files
(the dbt seeds), applies the same business rules as the dbt marts (docs/marts.md) and writes one Parquet
file per mart into OUT_DIR (same table and column names as the engine floor, so ``benchmarks/compare.py``
compares them with the published warehouse). Like the floor: no validation, no quarantine, no pseudonymous
keys, exports assumed clean (faults off), deletion files ignored. Same constants as the dbt vars.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = Path(__file__).resolve().parents[2] / "dbt" / "seeds"
DAY_ABSENT_SHARE, CHRONIC_RATE, CHRONIC_MIN_DAYS = 0.5, 0.10, 10
W_CONTINUOUS, W_UNIFIED, W_S1, W_S2 = 0.75, 0.25, 0.5, 0.5

STR = "string[pyarrow]"


def read_exports(
    exports: Path, pattern: str, dates: tuple[str, ...] = (), decimal: str = "."
) -> pd.DataFrame:
    files = [p for p in sorted(exports.glob(f"*/*/{pattern}")) if not p.name.endswith("__deleted.csv")]
    frames = [
        pd.read_csv(p, sep=";", encoding="utf-8-sig", dtype=STR, decimal=decimal, keep_default_na=True)
        for p in files
    ]
    frame = pd.concat(frames, ignore_index=True)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="%d/%m/%Y")
    return frame


def _mask(condition: pd.Series) -> np.ndarray:
    """A comparison as a plain boolean array (a missing value compares false), for ``np.select``."""
    return condition.fillna(False).to_numpy(dtype=bool)


def half_up_cents(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator (non-negative integers) rounded half up to 2 decimals, as the marts round
    every average: floor(100 n / d + 1/2) / 100 in integer arithmetic; missing where d is 0."""
    n, d = numerator.astype("int64"), denominator.astype("int64")
    cents = (200 * n + d) // (2 * d.where(d != 0, 1))
    return (cents / 100).where(d != 0)


def _int(values: pd.Series, scale: int) -> pd.Series:
    """Values (marks, averages, coefficients) as integers of 1 / scale; missing as 0."""
    return (values * scale).round().fillna(0).astype("int64")


def weighted_mean_of_present(parts: list[tuple[pd.Series, float]]) -> pd.Series:
    """Weighted mean of the present 2-decimal averages, rounded half up to 2 decimals (weights in 1/10000)."""
    numerator = sum(_int(v, 100) * round(w * 10000) for v, w in parts)
    denominator = sum(v.notna().astype("int64") * round(w * 10000) for v, w in parts) * 100
    return half_up_cents(numerator, denominator)


def calendar() -> pd.DataFrame:
    cal = pd.read_csv(SEEDS / "calendar" / "school_calendar.csv", parse_dates=["first_day", "last_day"])
    holidays = pd.read_csv(SEEDS / "calendar" / "school_holidays.csv", parse_dates=["holiday_date"])
    rows = [
        pd.DataFrame({"school_year": r.school_year, "d": pd.date_range(r.first_day, r.last_day)})
        for r in cal.itertuples()
    ]
    days = pd.concat(rows, ignore_index=True)
    off = set(zip(holidays.school_year, holidays.holiday_date, strict=True))
    days["is_school_day"] = (days.d.dt.dayofweek != 6) & ~pd.Series(
        [(y, d) in off for y, d in zip(days.school_year, days.d, strict=True)], index=days.index
    )
    days["day_share"] = np.where(~days.is_school_day, 0.0, np.where(days.d.dt.dayofweek == 5, 0.5, 1.0))
    days["through"] = days.groupby("school_year").is_school_day.cumsum()
    return days


def _stays(exports: Path) -> pd.DataFrame:
    """Every stay of a pupil in a school: an opening event with the closing event that closes it (if any),
    and the closings no opening matches (no entry)."""
    events = pd.read_csv(SEEDS / "codes" / "code_enrollment_events.csv")
    enr = read_exports(exports, "enrollments*.csv", dates=("event_date",))
    enr = enr.merge(events[["event_type", "direction"]], on="event_type")
    key = ["school_year", "student_code", "school_code"]
    openings = enr[enr.direction == "in"].sort_values([*key, "event_date", "event_type"])
    openings["next_opening"] = openings.groupby(key).event_date.shift(-1)
    closings = enr[enr.direction == "out"][[*key, "event_type", "event_date"]]
    closings = closings.rename(columns={"event_type": "exit_type", "event_date": "exit_date"})
    cand = openings.merge(closings, on=key, how="left")
    closes = (cand.event_date <= cand.exit_date) & (
        cand.next_opening.isna() | (cand.next_opening > cand.exit_date)
    )
    cand["exit_type"] = cand.exit_type.where(closes)
    cand["exit_date"] = cand.exit_date.where(closes)
    cand["_closes"] = closes
    opened = cand.sort_values(
        [*key, "event_date", "event_type", "_closes", "exit_date", "exit_type"],
        ascending=[True] * 5 + [False, True, True],
        na_position="last",
    )
    opened = opened.drop_duplicates([*key, "event_date", "event_type"])
    opened = opened.rename(columns={"event_type": "entry_type", "event_date": "entry_date"})
    cols = [
        *key,
        "region_code",
        "class_code",
        "level_code",
        "entry_type",
        "entry_date",
        "exit_type",
        "exit_date",
    ]
    opened = opened[cols]
    unmatched = enr[enr.direction == "out"].merge(
        opened[[*key, "exit_type", "exit_date"]].dropna(),
        left_on=[*key, "event_type", "event_date"],
        right_on=[*key, "exit_type", "exit_date"],
        how="left",
        indicator=True,
    )
    unmatched = unmatched[unmatched._merge == "left_only"]
    unmatched = unmatched.assign(
        entry_type=pd.NA, entry_date=pd.NaT, exit_type=unmatched.event_type, exit_date=unmatched.event_date
    )[cols]
    stays = pd.concat([opened, unmatched], ignore_index=True)
    return stays


def _history(stays: pd.DataFrame) -> pd.DataFrame:
    """The stays' validity history: each stay from its entry (else the first day) to its exit (else the
    last day), cut the day before the next stay starts."""
    cal = pd.read_csv(SEEDS / "calendar" / "school_calendar.csv", parse_dates=["first_day", "last_day"])
    hist = stays.merge(cal[["school_year", "first_day", "last_day"]], on="school_year", how="left")
    hist["valid_from"] = hist.entry_date.fillna(hist.first_day)
    hist["valid_to_raw"] = hist.exit_date.fillna(hist.last_day)
    hist = hist.sort_values(["school_year", "student_code", "valid_from", "valid_to_raw", "school_code"])
    hist["next_from"] = hist.groupby(["school_year", "student_code"]).valid_from.shift(-1)
    cut = hist.next_from.notna() & (hist.next_from <= hist.valid_to_raw)
    hist["valid_to"] = hist.valid_to_raw.where(~cut, hist.next_from - pd.Timedelta(days=1))
    return hist


def _last_stays(stays: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Each pupil-year's last stay with its next-year flow (promoted, repeated, dropped out...) and whether
    a dropout is revised (the pupil seen again later)."""
    stays["_start"] = stays.entry_date.fillna(stays.exit_date)
    stays["_open"] = stays.exit_date.isna()
    last = stays.sort_values(
        ["school_year", "student_code", "_start", "_open", "exit_date", "school_code"],
        ascending=[True, True, False, False, False, False],
    ).drop_duplicates(["school_year", "student_code"])
    last = last.merge(
        levels[["level_code", "cycle_code", "level_order", "next_level_code"]], on="level_code", how="left"
    )
    last["start_year"] = last.school_year.str[:4].astype(int)
    nxt = last[["student_code", "start_year", "level_order"]].rename(columns={"level_order": "next_order"})
    nxt["start_year"] -= 1
    nxt["has_next"] = True
    fct = last.merge(nxt, on=["student_code", "start_year"], how="left")
    # the next school year with a record of the pupil (faults off: no lost record traces a pupil)
    fct = fct.sort_values(["student_code", "start_year"], ignore_index=True)
    fct["next_seen"] = fct.groupby("student_code").start_year.shift(-1)
    seen_later = fct.next_seen.notna()
    has_next = fct.has_next.eq(True)
    last_year = fct.school_year.max()
    final_level = fct.next_level_code.isna()
    fct["next_year_flow"] = np.select(
        [
            _mask(has_next & (fct.next_order > fct.level_order)),
            _mask(has_next),
            _mask(fct.school_year == last_year),
            _mask(seen_later),  # back after a year without any record: not traced, never a dropout
            _mask(fct.exit_type == "transfer_out"),
            _mask(final_level & fct.exit_type.isna()),
        ],
        ["promoted", "repeated", None, "not_traced", "transferred_out", "completed"],
        default="dropped_out",
    )
    fct["is_dropout_revised"] = _mask(~has_next & seen_later)
    return fct


def enrollment(exports: Path, levels: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """fct_enrollment (one row per pupil-year) and the stays' validity history."""
    stays = _stays(exports)
    hist = _history(stays)
    fct = _last_stays(stays, levels)
    pupils = read_exports(exports, "pupils.csv")[["school_year", "region_code", "student_code", "sex"]]
    latest = pupils.sort_values(["school_year", "region_code"]).drop_duplicates("student_code", keep="last")
    fct = fct.merge(
        pupils[["school_year", "student_code", "sex"]], on=["school_year", "student_code"], how="left"
    )
    fct = fct.merge(
        latest[["student_code", "sex"]].rename(columns={"sex": "latest_sex"}), on="student_code", how="left"
    )
    fct["sex"] = fct.sex.fillna(fct.latest_sex)
    schools = read_exports(exports, "schools.csv")[["school_year", "school_code", "province_code", "sector"]]
    fct = fct.merge(schools.drop_duplicates(), on=["school_year", "school_code"], how="left")
    fct = fct[
        [
            "student_code",
            "school_year",
            "region_code",
            "province_code",
            "sector",
            "school_code",
            "class_code",
            "level_code",
            "cycle_code",
            "sex",
            "exit_type",
            "next_year_flow",
            "is_dropout_revised",
        ]
    ]
    return fct, hist[["student_code", "school_year", "valid_from", "valid_to", "first_day", "last_day"]]


def flow_rates(fct: pd.DataFrame) -> pd.DataFrame:
    known = fct[fct.next_year_flow.notna()]
    counts = pd.crosstab([known.school_year, known.region_code, known.level_code], known.next_year_flow)
    flows = ("promoted", "repeated", "dropped_out", "transferred_out", "completed", "not_traced")
    for flow in flows:
        if flow not in counts:
            counts[flow] = 0
    counts["pupils"] = counts[list(flows)].sum(axis=1)
    keys = ["school_year", "region_code", "level_code"]
    revised = known.groupby(keys).is_dropout_revised.sum().rename("dropout_revised")
    return counts.reset_index().merge(revised.reset_index(), on=keys, how="left")


def attendance(
    exports: Path,
    fct: pd.DataFrame,
    hist: pd.DataFrame,
    levels: pd.DataFrame,
    classes: pd.DataFrame,
    cal: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    absences = read_exports(exports, "absences*.csv", dates=("absence_date",))
    absences["session_number"] = absences.session_number.astype(int)
    absences["justified"] = absences.justified == "1"
    absences = absences.sort_values("session_number")
    keys = ["student_code", "school_year", "region_code", "absence_date"]
    per_day = (
        absences.groupby(keys, sort=False)
        .agg(
            class_code=("class_code", "first"),
            missed=("session_number", "size"),
            justified=("justified", "sum"),
        )
        .reset_index()
    )
    per_day = per_day.merge(
        classes[["school_year", "class_code", "level_code"]], on=["school_year", "class_code"], how="left"
    )
    per_day = per_day.merge(levels[["level_code", "sessions_per_day"]], on="level_code", how="left")
    per_day = per_day.merge(
        cal, left_on=["school_year", "absence_date"], right_on=["school_year", "d"], how="left"
    )
    threshold = DAY_ABSENT_SHARE * per_day.sessions_per_day * per_day.day_share
    per_day["is_absent_day"] = (per_day.missed >= threshold).fillna(False) & per_day.is_school_day.eq(True)
    per_day["is_justified_day"] = per_day.justified == per_day.missed
    daily = per_day[[*keys, "is_absent_day", "is_justified_day"]]

    periods = hist.assign(
        p_start=hist[["valid_from", "first_day"]].max(axis=1),
        p_end=hist[["valid_to", "last_day"]].min(axis=1),
    )
    through = cal.set_index(["school_year", "d"])
    start = through.reindex(pd.MultiIndex.from_frame(periods[["school_year", "p_start"]]))
    end = through.reindex(pd.MultiIndex.from_frame(periods[["school_year", "p_end"]]))
    days = end.through.to_numpy() - start.through.to_numpy() + start.is_school_day.astype(int).to_numpy()
    periods["days"] = np.where(periods.p_end < periods.p_start, 0, days)
    enrolled = periods.groupby(["student_code", "school_year"]).days.sum().rename("enrolled_school_days")

    absent = daily[daily.is_absent_day].merge(periods, on=["student_code", "school_year"])
    absent = absent[(absent.absence_date >= absent.p_start) & (absent.absence_date <= absent.p_end)]
    absent = absent.drop_duplicates(["student_code", "school_year", "absence_date"])
    counts = absent.groupby(["student_code", "school_year"]).agg(
        absent_days=("absence_date", "size"), justified_absent_days=("is_justified_day", "sum")
    )
    ytd = fct[["student_code", "school_year", "region_code", "cycle_code", "sex"]].merge(
        enrolled.reset_index(), on=["student_code", "school_year"], how="left"
    )
    ytd = ytd.merge(counts.reset_index(), on=["student_code", "school_year"], how="left")
    for column in ("enrolled_school_days", "absent_days", "justified_absent_days"):
        ytd[column] = ytd[column].fillna(0).astype(int)
    ytd["is_chronically_absent"] = (ytd.enrolled_school_days >= CHRONIC_MIN_DAYS) & (
        ytd.absent_days / ytd.enrolled_school_days.where(ytd.enrolled_school_days > 0) >= CHRONIC_RATE
    )
    return daily, ytd


def _subject_averages(exports: Path, classes: pd.DataFrame) -> pd.DataFrame:
    """Per pupil, semester and subject: the continuous and unified marks' averages, the subject average
    (weighted, exact integer ratio, half up to 2 decimals) and the subject's coefficient."""
    kinds = pd.read_csv(SEEDS / "codes" / "code_assessment_types.csv")[["assessment_type", "kind"]]
    coefficients = pd.read_csv(SEEDS / "rules" / "subject_coefficients.csv", dtype={"stream_code": str})
    g = read_exports(exports, "grades*.csv", decimal=",")
    g["semester"] = g.semester.astype(int)
    g["grade"] = pd.to_numeric(g.grade.str.replace(",", "."))
    g = g.merge(kinds, on="assessment_type")
    keys = ["student_code", "school_year", "semester", "subject_code"]
    g["continuous"] = g.grade.where(g.kind == "continuous")
    g["unified"] = g.grade.where(g.kind == "unified")
    # marks in ten-thousandths (integers): the subject average is an exact integer ratio
    g["c4"] = (g.continuous * 10000).round()
    g["u4"] = (g.unified * 10000).round()
    subj = (
        g.groupby(keys)
        .agg(
            class_code=("class_code", "max"),
            region_code=("region_code", "max"),
            continuous_average=("continuous", "mean"),
            unified_grade=("unified", "mean"),
            c_sum=("c4", "sum"),
            c_n=("c4", "count"),
            u_sum=("u4", "sum"),
            u_n=("u4", "count"),
        )
        .reset_index()
    )
    subj = subj.merge(
        classes[["school_year", "class_code", "level_code", "stream_code"]],
        on=["school_year", "class_code"],
        how="left",
    )
    # (w_c c_sum / c_n + w_u u_sum / u_n) / (weights present) / 10000, weights in ten-thousandths
    w_c, w_u = round(W_CONTINUOUS * 10000), round(W_UNIFIED * 10000)
    c_n, u_n = subj.c_n.clip(lower=1).astype("int64"), subj.u_n.clip(lower=1).astype("int64")
    numerator = w_c * subj.c_sum.astype("int64") * u_n + w_u * subj.u_sum.astype("int64") * c_n
    weights = (subj.c_n > 0).astype("int64") * w_c + (subj.u_n > 0).astype("int64") * w_u
    subj["subject_average"] = half_up_cents(numerator, weights * c_n * u_n * 10000)
    subj = subj.drop(columns=["c_sum", "c_n", "u_sum", "u_n"])
    by_stream = coefficients.dropna(subset=["stream_code"]).rename(columns={"coefficient": "c_stream"})
    by_level = coefficients[coefficients.stream_code.isna()].drop(columns="stream_code")
    subj = subj.merge(by_stream, on=["level_code", "stream_code", "subject_code"], how="left")
    subj = subj.merge(
        by_level.rename(columns={"coefficient": "c_level"}), on=["level_code", "subject_code"], how="left"
    )
    subj["coefficient"] = subj.c_stream.fillna(subj.c_level).fillna(1.0).astype(float)
    subj = subj.drop(columns=["c_stream", "c_level", "stream_code"])
    return subj


def _semester_averages(subj: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per pupil and semester, the general average (coefficient-weighted subject averages); returns the
    subjects (work columns dropped) and the semesters."""
    # the rounded subject averages in cents x the coefficients in ten-thousandths: integers
    subj["_weighted"] = _int(subj.subject_average, 100) * _int(subj.coefficient, 10000)
    subj["_weight"] = _int(subj.coefficient.where(subj.subject_average.notna()), 10000) * 100
    sem = (
        subj.groupby(["student_code", "school_year", "semester"])
        .agg(
            region_code=("region_code", "max"),
            level_code=("level_code", "max"),
            _weighted=("_weighted", "sum"),
            _weight=("_weight", "sum"),
        )
        .reset_index()
    )
    sem["general_average"] = half_up_cents(sem._weighted, sem._weight)
    sem = sem.drop(columns=["_weighted", "_weight"])
    subj = subj.drop(columns=["_weighted", "_weight"])
    return subj, sem


def _annual(sem: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Per pupil-year: the annual average (weighted semesters present) and the decision."""
    thresholds = pd.read_csv(SEEDS / "rules" / "decision_thresholds.csv")
    last_sem = sem.sort_values("semester").drop_duplicates(["student_code", "school_year"], keep="last")
    annual = last_sem[["student_code", "school_year", "region_code", "level_code"]].copy()
    for s in (1, 2):
        part = sem[sem.semester == s][["student_code", "school_year", "general_average"]]
        annual = annual.merge(
            part.rename(columns={"general_average": f"s{s}"}), on=["student_code", "school_year"], how="left"
        )
    annual["annual_average"] = weighted_mean_of_present([(annual.s1, W_S1), (annual.s2, W_S2)])
    annual = annual.merge(levels[["level_code", "cycle_code"]], on="level_code", how="left")
    annual = annual.merge(
        thresholds[["cycle_code", "promote_min_annual_average"]], on="cycle_code", how="left"
    )
    known_level = annual.cycle_code.notna()
    annual["decision"] = np.select(
        [
            _mask(known_level & annual.promote_min_annual_average.isna()),
            _mask(annual.annual_average.isna()),
            # the rounded average decides, as the marts do
            _mask(annual.annual_average >= annual.promote_min_annual_average),
        ],
        ["promote", None, "promote"],
        default="repeat",
    )
    return annual


def grades(exports: Path, levels: pd.DataFrame, classes: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    subj, sem = _semester_averages(_subject_averages(exports, classes))
    return subj, sem, _annual(sem, levels)


def build(exports: Path) -> dict[str, pd.DataFrame]:
    levels = pd.read_csv(SEEDS / "codes" / "code_levels.csv", dtype={"next_level_code": str})
    classes = read_exports(exports, "classes.csv")
    cal = calendar()
    fct, hist = enrollment(exports, levels)
    daily, ytd = attendance(exports, fct, hist, levels, classes, cal)
    subj, sem, annual = grades(exports, levels, classes)
    return {
        "fct_enrollment": fct,
        "agg_flow_rates": flow_rates(fct),
        "fct_absence_daily": daily,
        "fct_attendance_ytd": ytd,
        "fct_subject_average": subj,
        "fct_semester_result": sem,
        "fct_annual_result": annual,
    }


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    exports, out = Path(args[0]), Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in build(exports).items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
