"""The synthetic source: format, determinism, contracts, faults ground truth, manifest.

The checks below re-read the files with their own parsing (plain Python splitting, polars
expressions built from the contracts' columns) rather than with the generator's code.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from ingestion.codelists import allowed_codes, read_seed
from ingestion.contracts import CONTRACTS, Contract
from synthetic.calendar import first_day, holidays, last_day, school_days
from synthetic.generate import DAILY_DAYS, generate

BOM = b"\xef\xbb\xbf"
REGIONS = sorted(r["region_code"] for r in read_seed("code_regions"))
TYPE_PATTERNS = {
    "int": r"^-?[0-9]+$",
    "float": r"^-?[0-9]+(,[0-9]+)?$",
    "date": r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$",
    "bool": r"^[01]$",
}


# --- an independent reader and validator ---------------------------------------------------------


def read_export(path: Path, contract: Contract) -> pl.DataFrame:
    """Parse one export file by hand: BOM, CRLF, ';', header = contract columns, '' = null."""
    raw = path.read_bytes()
    assert raw.startswith(BOM), f"{path}: no UTF-8 BOM"
    text = raw[len(BOM) :].decode("utf-8")
    assert text.endswith("\r\n"), f"{path}: last line not CRLF-terminated"
    lines = text[:-2].split("\r\n")
    assert not any("\n" in line or "\r" in line for line in lines), f"{path}: bare LF or CR"
    assert lines[0].split(";") == contract.column_names, f"{path}: header differs from the contract"
    rows = [line.split(";") for line in lines[1:]]
    width = len(contract.column_names)
    assert all(len(r) == width for r in rows), f"{path}: a line has the wrong number of fields"
    frame = pl.DataFrame(
        [[v if v != "" else None for v in r] for r in rows],
        schema={c: pl.String for c in contract.column_names},
        orient="row",
    )
    return frame.with_columns(pl.Series("_line", range(2, len(rows) + 2), dtype=pl.Int64))


def _parse_date(v: str | None) -> date | None:
    if v is None or not re.fullmatch(TYPE_PATTERNS["date"], v):
        return None
    try:
        return datetime.strptime(v, "%d/%m/%Y").date()
    except ValueError:
        return None


def typed(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Cast the text columns to the contract types (unparseable -> null)."""
    exprs = []
    for col in contract.columns:
        c = pl.col(col.name)
        if col.dtype == "int":
            exprs.append(c.cast(pl.Int64, strict=False))
        elif col.dtype == "float":
            ok = c.str.contains(TYPE_PATTERNS["float"])
            exprs.append(
                pl.when(ok).then(c.str.replace(",", ".").cast(pl.Float64, strict=False)).alias(col.name)
            )
        elif col.dtype == "date":
            exprs.append(c.map_elements(_parse_date, return_dtype=pl.Date))
        elif col.dtype == "bool":
            exprs.append(pl.when(c == "1").then(True).when(c == "0").then(False).alias(col.name))
        else:
            exprs.append(c)
    return frame.with_columns(exprs)


def violations(frame: pl.DataFrame, contract: Contract) -> dict[int, set[str]]:
    """Row-level checks of a file: missing, type, pattern, code list, allowed, range, rules, duplicate key."""
    found: dict[int, set[str]] = {}

    def flag(mask: pl.Series, what: str) -> None:
        for line in frame.filter(mask.fill_null(False))["_line"].to_list():
            found.setdefault(line, set()).add(what)

    t = typed(frame, contract)
    for col in contract.columns:
        s = frame[col.name]
        if col.required:
            flag(s.is_null(), f"missing:{col.name}")
        if col.dtype in TYPE_PATTERNS:
            bad_type = s.is_not_null() & t[col.name].is_null()
            flag(bad_type, f"type:{col.name}")
        if col.pattern:
            flag(s.is_not_null() & ~s.str.contains(col.pattern), f"pattern:{col.name}")
        if col.codelist:
            flag(s.is_not_null() & ~s.is_in(sorted(allowed_codes(col.codelist))), f"codelist:{col.name}")
        if col.allowed:
            flag(s.is_not_null() & ~s.is_in(list(col.allowed)), f"allowed:{col.name}")
        if col.min is not None:
            flag(t[col.name] < col.min, f"range:{col.name}")
        if col.max is not None:
            flag(t[col.name] > col.max, f"range:{col.name}")
    for rule in contract.rules:
        ok = t.select(rule.valid().alias("ok"))["ok"]
        flag(~ok, f"rule:{rule.reason}")
    dup = frame.select(pl.struct(list(contract.primary_key)).is_first_distinct().alias("first"))["first"]
    flag(~dup, "duplicate")
    return found


def entity_files(root: Path, school_year: str, region: str, entity: str) -> list[Path]:
    """The bulk file, then the daily drops by date (deletion files left out)."""
    folder = root / school_year / region
    daily = sorted(p for p in folder.glob(f"{entity}__*.csv") if not p.name.endswith("__deleted.csv"))
    return [folder / f"{entity}.csv", *daily]


def load_year(root: Path, school_year: str) -> dict[tuple[str, str], pl.DataFrame]:
    """Every row of an entity in a region-year, bulk file and daily drops (``_line`` numbers the
    concatenation: only meaningful for clean files)."""
    out = {}
    for region in REGIONS:
        for entity, contract in CONTRACTS.items():
            frames = [read_export(p, contract) for p in entity_files(root, school_year, region, entity)]
            out[(region, entity)] = pl.concat(frames).drop("_line").with_row_index("_line", offset=2)
    return out


def all_violations(root: Path, school_year: str) -> dict[str, dict[int, set[str]]]:
    """Violations per file (path relative to root), foreign keys included (same year and region)."""
    frames = {
        k: v.with_columns(pl.col("_line").cast(pl.Int64)) for k, v in load_year(root, school_year).items()
    }
    out: dict[str, dict[int, set[str]]] = {}
    for region in REGIONS:
        per_entity = {e: violations(frames[(region, e)], c) for e, c in CONTRACTS.items()}
        valid = {
            e: frames[(region, e)].filter(~pl.col("_line").is_in(list(per_entity[e]))) for e in CONTRACTS
        }
        for entity, contract in CONTRACTS.items():
            frame = frames[(region, entity)]
            found = per_entity[entity]
            for fk in contract.foreign_keys:
                ref = (
                    valid[fk.entity]
                    .select([pl.col(r).alias(c) for c, r in zip(fk.columns, fk.ref_columns, strict=True)])
                    .unique()
                )
                probe = frame.filter(pl.all_horizontal(pl.col(list(fk.columns)).is_not_null()))
                orphans = probe.join(ref, on=list(fk.columns), how="anti")
                for line in orphans["_line"].to_list():
                    found.setdefault(line, set()).add(f"fk:{fk.reason}")
            out[f"{school_year}/{region}/{entity}.csv"] = found
    return out


def read_faults(root: Path, school_year: str) -> list[tuple[str, int, str, str]]:
    lines = (root / school_year / "faults.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "path;line;entity;fault_class"
    out = []
    for line in lines[1:]:
        path, n, entity, fault = line.split(";")
        out.append((path, int(n), entity, fault))
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    generate(root, pupils=600, seed=7, years=2, fault_rate=0.0, daily_days=DAILY_DAYS)
    return root


# --- tests ---------------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b", "c"):
        seed = 5 if name != "c" else 6
        generate(tmp_path / name, pupils=600, seed=seed, years=2, fault_rate=0.05)
        files = sorted(p for p in (tmp_path / name).rglob("*") if p.is_file())
        digests.append({p.relative_to(tmp_path / name).as_posix(): sha256(p) for p in files})
    assert digests[0] == digests[1]
    manifests = [
        json.loads((tmp_path / "a" / y / "manifest.json").read_text()) for y in ("2024-2025", "2025-2026")
    ]
    listed = {f["path"] for m in manifests for f in m["files"]}
    extra = {
        f"{y}/{n}"
        for y in ("2024-2025", "2025-2026")
        for n in ("manifest.json", "faults.csv", "parent_secrets.csv")
    }
    assert set(digests[0]) == listed | extra
    changed = [p for p in digests[0] if digests[0][p] != digests[2].get(p)]
    assert len(changed) > len(digests[0]) // 2, "another seed should change the data"


def test_every_region_has_every_entity_file(clean: Path) -> None:
    for school_year in ("2024-2025", "2025-2026"):
        for region in REGIONS:
            for entity, contract in CONTRACTS.items():
                path = clean / school_year / region / f"{entity}.csv"
                assert path.is_file(), path
                header = path.read_bytes().split(b"\r\n", 1)[0]
                assert header == BOM + ";".join(contract.column_names).encode()


def test_clean_rows_pass_the_contracts(clean: Path) -> None:
    total_rows = Counter()
    for school_year in ("2024-2025", "2025-2026"):
        found = all_violations(clean, school_year)
        bad = {path: dict(list(v.items())[:3]) for path, v in found.items() if v}
        assert not bad, f"clean files have invalid rows: {bad}"
        for (_, entity), frame in load_year(clean, school_year).items():
            total_rows[entity] += frame.height
    assert all(total_rows[e] > 0 for e in CONTRACTS), total_rows
    assert read_faults(clean, "2024-2025") == []


def test_the_validator_catches_a_corrupted_file(clean: Path, tmp_path: Path) -> None:
    """Guard against a validator that accepts anything."""
    contract = CONTRACTS["grades"]
    frame = read_export(clean / "2024-2025" / "06" / "grades.csv", contract)
    broken = frame.with_columns(
        pl.when(pl.col("_line") == 2).then(pl.lit("25,0")).otherwise(pl.col("grade")).alias("grade"),
        pl.when(pl.col("_line") == 3)
        .then(pl.lit("x123"))
        .otherwise(pl.col("student_code"))
        .alias("student_code"),
    )
    found = violations(broken, contract)
    assert "range:grade" in found[2] or "rule:grade_or_missed_code" in found[2]
    assert "pattern:student_code" in found[3]


def test_referential_integrity_and_school_logic(clean: Path) -> None:
    levels = {r["level_code"]: r for r in read_seed("code_levels")}
    for school_year in ("2024-2025", "2025-2026"):
        frames = load_year(clean, school_year)
        days = set(school_days(school_year))
        for region in REGIONS:
            classes = frames[(region, "classes")]
            level_of = dict(zip(classes["class_code"], classes["level_code"], strict=True))
            for entity in ("enrollments", "absences", "grades", "teaching_assignments"):
                f = frames[(region, entity)]
                assert all(c.startswith(s) for c, s in zip(f["class_code"], f["school_code"], strict=True))
            upper = classes.filter(pl.col("level_code").is_in(["TC", "1BAC", "2BAC"]))
            assert upper["stream_code"].null_count() == 0
            assert classes.filter(~pl.col("level_code").is_in(["TC", "1BAC", "2BAC"]))[
                "stream_code"
            ].null_count() == (classes.height - upper.height)
            absences = frames[(region, "absences")]
            for d, s, c in zip(
                absences["absence_date"], absences["session_number"], absences["class_code"], strict=True
            ):
                day = _parse_date(d)
                assert day in days, f"absence on a non-school day {d}"
                spd = int(levels[level_of[c]]["sessions_per_day"])
                assert int(s) <= (spd // 2 if day.weekday() == 5 else spd)
            grades = frames[(region, "grades")]
            assert all(_parse_date(d) in days for d in grades["assessment_date"].unique())
            enrollments = frames[(region, "enrollments")]
            starts = enrollments.filter(pl.col("event_type").is_in(["entry", "re_enrollment"]))
            pupils = frames[(region, "pupils")]
            assert sorted(starts["student_code"]) == sorted(pupils["student_code"]), (
                "one start event per pupil"
            )
            outs = enrollments.filter(event_type="transfer_out")["student_code"].sort().to_list()
            ins = enrollments.filter(event_type="transfer_in")["student_code"].sort().to_list()
            assert outs == ins
            # absences only while the pupil is enrolled in that school
            dated = enrollments.with_columns(
                pl.col("event_date").map_elements(_parse_date, return_dtype=pl.Date)
            )
            arrive = pl.col("event_type").is_in(["entry", "re_enrollment", "transfer_in"])
            leave = pl.col("event_type").is_in(["transfer_out", "dropout"])
            windows = dated.group_by("student_code", "school_code").agg(
                pl.col("event_date").filter(arrive).min().alias("start"),
                pl.col("event_date").filter(leave).min().alias("end"),
            )
            seen = absences.with_columns(
                pl.col("absence_date").map_elements(_parse_date, return_dtype=pl.Date)
            ).join(windows, on=["student_code", "school_code"], how="left")
            outside = seen.filter(
                pl.col("start").is_null()
                | (pl.col("absence_date") < pl.col("start"))
                | (pl.col("end").is_not_null() & (pl.col("absence_date") >= pl.col("end")))
            )
            assert outside.height == 0, outside.head()


def test_pupils_are_unique_and_stable_across_years(clean: Path) -> None:
    identity = [
        "student_code",
        "last_name_fr",
        "first_name_fr",
        "last_name_ar",
        "first_name_ar",
        "sex",
        "birth_date",
    ]
    years = []
    for school_year in ("2024-2025", "2025-2026"):
        pupils = pl.concat(
            [read_export(clean / school_year / r / "pupils.csv", CONTRACTS["pupils"]) for r in REGIONS]
        )
        assert pupils["student_code"].is_unique().all(), "a pupil code is used twice in a year"
        years.append(pupils.select(identity))
    both = years[0].join(years[1], on="student_code", suffix="_next")
    assert both.height > 0.7 * years[0].height, "most pupils continue into the next year"
    for col in identity[1:]:
        assert (both[col] == both[f"{col}_next"]).all(), f"{col} changed between years"
    # the next year's levels: promoted (next level) or repeating
    nxt = {r["level_code"]: r["next_level_code"] for r in read_seed("code_levels")}
    lv = []
    for school_year in ("2024-2025", "2025-2026"):
        e = pl.concat(
            [
                read_export(clean / school_year / r / "enrollments.csv", CONTRACTS["enrollments"])
                for r in REGIONS
            ]
        )
        lv.append(
            e.filter(pl.col("event_type").is_in(["entry", "re_enrollment"])).select(
                "student_code", "level_code"
            )
        )
    moved = lv[0].join(lv[1], on="student_code", suffix="_next")
    ok = [b in (a, nxt[a]) for a, b in zip(moved["level_code"], moved["level_code_next"], strict=True)]
    assert all(ok)
    repeat_share = sum(
        a == b for a, b in zip(moved["level_code"], moved["level_code_next"], strict=True)
    ) / len(ok)
    assert 0.03 < repeat_share < 0.25


def test_plausible_population(tmp_path: Path) -> None:
    summary = generate(tmp_path, pupils=5000, seed=3, fault_rate=0.0)
    assert summary.pupils_by_year == {"2024-2025": 5000}
    pupils = pl.concat(
        [read_export(tmp_path / "2024-2025" / r / "pupils.csv", CONTRACTS["pupils"]) for r in REGIONS]
    )
    assert 0.45 < (pupils["sex"] == "F").mean() < 0.53
    schools = pl.concat(
        [read_export(tmp_path / "2024-2025" / r / "schools.csv", CONTRACTS["schools"]) for r in REGIONS]
    )
    enrol = pl.concat(
        [
            read_export(tmp_path / "2024-2025" / r / "enrollments.csv", CONTRACTS["enrollments"])
            for r in REGIONS
        ]
    ).filter(pl.col("event_type").is_in(["entry", "re_enrollment"]))
    placed = enrol.join(schools.select("school_code", "sector", "area", "cycle_code"), on="school_code")
    assert 0.08 < (placed["sector"] == "private").mean() < 0.2
    assert 0.25 < (placed["area"] == "rural").mean() < 0.5
    cycle_share = placed["cycle_code"].value_counts(normalize=True)
    share = dict(zip(cycle_share["cycle_code"], cycle_share["proportion"], strict=True))
    assert 0.48 < share["primary"] < 0.58 and 0.1 < share["upper_secondary"] < 0.17
    casablanca = pupils.filter(region_code="06").height / pupils.height
    assert 0.17 < casablanca < 0.2
    absences = pl.concat(
        [read_export(tmp_path / "2024-2025" / r / "absences.csv", CONTRACTS["absences"]) for r in REGIONS]
    )
    justified = (absences["justified"] == "1").mean()
    assert 0.3 < justified < 0.5
    per_pupil = absences.group_by("student_code").len()["len"]
    assert per_pupil.quantile(0.95) > 3 * per_pupil.median(), "a heavy tail of chronic absentees"
    grades = pl.concat(
        [read_export(tmp_path / "2024-2025" / r / "grades.csv", CONTRACTS["grades"]) for r in REGIONS]
    )
    values = grades["grade"].drop_nulls().str.replace(",", ".").cast(pl.Float64)
    assert 8 < values.mean() < 14 and values.min() >= 0 and values.max() <= 20
    assert 0.005 < grades["missed_code"].is_not_null().mean() < 0.1


def test_calendar() -> None:
    assert first_day("2024-2025") == date(2024, 9, 9)
    assert last_day("2024-2025") == date(2025, 6, 30)
    days = school_days("2024-2025")
    assert all(d.weekday() != 6 for d in days)
    assert date(2024, 10, 22) not in days and date(2025, 1, 28) not in days  # breaks
    assert date(2024, 11, 18) in holidays("2024-2025") and date(2024, 11, 19) in days
    assert 190 < len(days) < 230
    nxt = school_days("2025-2026")
    assert nxt[0].year == 2025 and nxt[0].weekday() == 0 and 5 <= nxt[0].day <= 12
    assert not set(days) & set(nxt)


def test_parent_secrets_are_hashed_in_the_export_and_plain_in_a_separate_file(clean: Path) -> None:
    import base64
    import hashlib as h

    hashes: dict[str, str] = {}
    for school_year in ("2024-2025", "2025-2026"):
        pupils = pl.concat(
            [read_export(clean / school_year / r / "pupils.csv", CONTRACTS["pupils"]) for r in REGIONS]
        )
        text = (clean / school_year / "parent_secrets.csv").read_bytes()
        assert text.startswith(BOM)
        lines = text[len(BOM) :].decode("utf-8").split("\r\n")
        assert lines[0] == "student_code;secret" and lines[-1] == ""
        secrets = dict(line.split(";") for line in lines[1:-1])
        assert set(secrets) == set(pupils["student_code"]), "one secret per pupil of the year"
        assert len(set(secrets.values())) == len(secrets), "secrets are distinct"
        for code, stored in zip(pupils["student_code"], pupils["parent_secret_hash"], strict=True):
            if code in hashes:
                assert hashes[code] == stored, "a pupil keeps the same secret across years"
            hashes[code] = stored
        # verify a sample by hand: pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>
        for code, stored in list(zip(pupils["student_code"], pupils["parent_secret_hash"], strict=True))[:50]:
            algorithm, iterations, salt, key = stored.split("$")
            assert algorithm == "pbkdf2_sha256" and int(iterations) >= 100
            derived = h.pbkdf2_hmac("sha256", secrets[code].encode(), base64.b64decode(salt), int(iterations))
            assert derived == base64.b64decode(key)
            wrong = h.pbkdf2_hmac("sha256", b"WRONG", base64.b64decode(salt), int(iterations))
            assert wrong != derived
        assert secrets[pupils["student_code"][0]] not in pupils.to_pandas().to_csv()
    salts = [v.split("$")[2] for v in hashes.values()]
    assert len(set(salts)) == len(salts), "a salt per pupil"


def test_timetables_follow_the_levels_and_the_teaching_assignments(clean: Path) -> None:
    levels = {r["level_code"]: int(r["sessions_per_day"]) for r in read_seed("code_levels")}
    frames = load_year(clean, "2024-2025")
    for region in REGIONS:
        tt = frames[(region, "timetables")]
        classes = frames[(region, "classes")].select("class_code", "level_code")
        assign = frames[(region, "teaching_assignments")]
        t = tt.join(classes, on="class_code").with_columns(
            pl.col("level_code").replace_strict(levels, return_dtype=pl.Int64).alias("spd"),
            pl.col("weekday").cast(pl.Int64),
            pl.col("session_number").cast(pl.Int64),
        )
        assert t.height == tt.height
        assert (
            t.filter(pl.col("weekday") == 6).filter(pl.col("session_number") > pl.col("spd") // 2).height == 0
        )
        assert t.filter(pl.col("session_number") > pl.col("spd")).height == 0
        assert t["weekday"].is_between(1, 6).all()
        # the teacher of a session is the class's teacher of that subject
        pairs = assign.select("class_code", "subject_code", "teacher_code")
        joined = t.join(pairs, on=["class_code", "subject_code"], how="left", suffix="_assigned")
        assert (joined["teacher_code"] == joined["teacher_code_assigned"]).all()
        # sessions per subject follow the weekly hours (rounded, never more than the hours + 1)
        sessions = t.group_by("class_code", "subject_code").len()
        hours = assign.group_by("class_code", "subject_code").agg(
            pl.col("weekly_hours").str.replace(",", ".").cast(pl.Float64).sum()
        )
        both = sessions.join(hours, on=["class_code", "subject_code"])
        assert both.height == sessions.height
        assert (both["len"] <= both["weekly_hours"] + 1).all()
        assert classes.join(tt, on="class_code", how="anti").height == 0, "every class has a timetable"


def test_exam_results_sessions_and_candidates(clean: Path) -> None:
    frames = load_year(clean, "2024-2025")
    exams = pl.concat([frames[(r, "exam_results")] for r in REGIONS])
    enrol = pl.concat([frames[(r, "enrollments")] for r in REGIONS])
    level_of = enrol.filter(pl.col("event_type").is_in(["entry", "re_enrollment"])).select(
        "student_code", "level_code"
    )
    seed_level = {r["exam_code"]: r["level_code"] for r in read_seed("code_exams")}
    # the first year's file carries the 2BAC candidates' 1BAC regional exam of the year before
    carried = exams.filter(pl.col("exam_year").is_not_null())
    exams = exams.filter(pl.col("exam_year").is_null())
    checked = exams.join(level_of, on="student_code")
    assert checked.height == exams.height
    assert (checked["level_code"] == checked["exam_code"].replace_strict(seed_level)).all()
    bac = exams.filter(exam_code="BAC_NAT", exam_session="normal")["student_code"].unique()
    assert set(carried["exam_code"]) == {"BAC_REG"} and set(carried["exam_year"]) == {"2023-2024"}
    assert sorted(carried["student_code"].unique()) == sorted(bac), "every bac candidate has the 1BAC exam"
    carried_days = carried["exam_date"].str.to_date("%d/%m/%Y")
    assert carried_days.is_between(date(2024, 5, 1), date(2024, 6, 30)).all()
    assert set(exams.filter(exam_session="resit")["exam_code"]) == {"BAC_NAT"}
    grade = pl.col("grade").str.replace(",", ".").cast(pl.Float64)
    normal = (
        exams.filter(exam_code="BAC_NAT", exam_session="normal")
        .group_by("student_code")
        .agg(grade.mean().alias("mean"), pl.col("grade").is_not_null().any().alias("present"))
    )
    resit = exams.filter(exam_session="resit")["student_code"].unique()
    below = normal.filter(pl.col("present") & (pl.col("mean") < 10))["student_code"]
    assert sorted(resit) == sorted(below), "the resit is for the candidates below 10 in June"
    days = exams.with_columns(pl.col("exam_date").str.to_date("%d/%m/%Y"))
    assert days.filter(exam_session="normal")["exam_date"].dt.month().is_in([5, 6]).all()
    assert days.filter(exam_session="resit")["exam_date"].dt.month().is_in([7]).all()
    assert (days["exam_date"].dt.weekday() != 7).all()
    dropped = enrol.filter(event_type="dropout")["student_code"]
    assert not exams["student_code"].is_in(dropped.implode()).any(), "dropouts sit no exam"


def test_absences_are_seasonal(tmp_path: Path) -> None:
    generate(tmp_path, pupils=3000, seed=4, fault_rate=0.0)
    frames = load_year(tmp_path, "2024-2025")
    rows = pl.concat(
        [
            frames[(r, "absences")]
            .select("school_code", "student_code", "absence_date")
            .unique()
            .join(frames[(r, "schools")].select("school_code", "area"), on="school_code")
            for r in REGIONS
        ]
    ).with_columns(pl.col("absence_date").str.to_date("%d/%m/%Y"))
    days = pl.DataFrame({"absence_date": school_days("2024-2025")})
    per_day = days.join(
        rows.group_by("absence_date", "area").len().pivot("area", index="absence_date", values="len"),
        on="absence_date",
        how="left",
    ).fill_null(0)
    per_day = per_day.with_columns(
        pl.col("absence_date").dt.weekday().alias("wd"), pl.col("absence_date").dt.month().alias("m")
    )
    total = per_day.with_columns((pl.col("urban") + pl.col("rural")).alias("all"))
    friday = total.filter(wd=5)["all"].mean()
    midweek = total.filter(pl.col("wd").is_in([2, 3, 4]))["all"].mean()
    assert friday > 1.15 * midweek, (friday, midweek)
    winter = per_day.filter(pl.col("m").is_in([12, 1, 2]))
    other = per_day.filter(~pl.col("m").is_in([12, 1, 2]))
    rural_lift = winter["rural"].mean() / other["rural"].mean()
    urban_lift = winter["urban"].mean() / other["urban"].mean()
    assert rural_lift > 1.2 * urban_lift, (rural_lift, urban_lift)
    # the school days next to a break are heavier than the others
    dates = school_days("2024-2025")
    near = {
        d for i, d in enumerate(dates[1:-1], 1) if (dates[i + 1] - d).days > 2 or (d - dates[i - 1]).days > 2
    }
    around = total.filter(pl.col("absence_date").is_in(sorted(near)) & (pl.col("wd") != 5))["all"].mean()
    assert around > 1.3 * midweek, (around, midweek)
