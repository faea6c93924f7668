"""Calibration report: the generated marginals beside the real reference figures.

Reads only the export files (bulk files and daily drops, drop order; lines listed in ``faults.csv`` left
out; any encoding and header variant read through the contracts' aliases), never the generator's state.
Reference figures are the press figures below and the cited ones of :mod:`synthetic.parameters`
(national pupils by cycle, the DERIVED regional estimate), scaled to the generated number of pupils.

    massar calibrate --exports DIR
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.codelists import read_seed
from ingestion.contracts import CONTRACTS
from synthetic import parameters as P

NATIONAL_PUPILS = 8_863_234  # press 2022-2023 pupils_enrolled all_incl_preschool
PUBLIC_TEACHERS = 278_627  # press 2023-2024 teachers, public
PUBLIC_PUPILS = 7_392_050  # press 2023-2024 pupils_enrolled, public, all_incl_preschool
GIRLS_SHARE = 0.487  # press 2022-2023, girls 48.7 %
PRIVATE_SHARE = 0.13  # press 2023-2024 rentrée: private share 13 % (primary to qualifiant)
# Private share by cycle: press 2022-2023 preschool 222,795 private of 931,393, primary 82.2 % public; the
# secondary cycles' 7 % is DERIVED (what the 13 % of primary to qualifiant leaves once primary is counted).
PRIVATE_SHARE_BY_CYCLE = {
    "preschool": (222_795 / 931_393, "press 2022-23 (222,795 of 931,393)"),
    "primary": (0.178, "press 2022-23 (82.2 % public)"),
    "lower_secondary": (0.07, "DERIVED from press 13 % and primary"),
    "upper_secondary": (0.07, "DERIVED from press 13 % and primary"),
}
PRIMARY_REPETITION = 0.089  # press 2019-2020 repetition_rate primary 8.9 %
DROPOUT_RATE = 0.044  # press 2023-2024 dropout_rate public 4.4 %
BAC_PASS = 0.678  # press 2024 bac_pass_rate_normal_session 67.8 % (girls 72.0, boys 62.6)


@dataclass(frozen=True)
class Marginal:
    name: str
    generated: float
    reference: float
    source: str

    @property
    def ratio(self) -> float:
        return self.generated / self.reference if self.reference else float("nan")


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1256")


def read_entity(exports: Path, school_year: str, entity: str) -> pl.DataFrame:
    """All clean rows of an entity in a school year, every region, as text with canonical columns."""
    contract = CONTRACTS[entity]
    alias = {a: c.name for c in contract.columns for a in c.aliases}
    faults_path = exports / school_year / "faults.csv"
    bad = (
        pl.read_csv(faults_path, separator=";", schema_overrides={"line": pl.Int64}).select("path", "line")
        if faults_path.exists()
        else pl.DataFrame(schema={"path": pl.String, "line": pl.Int64})
    )
    frames = []
    for path in sorted((exports / school_year).glob(f"*/{entity}*.csv")):
        daily = path.name.startswith(f"{entity}__") and not path.name.endswith("__deleted.csv")
        if path.name != f"{entity}.csv" and not daily:
            continue
        text = _decode(path.read_bytes())
        frame = pl.read_csv(io.StringIO(text), separator=";", infer_schema=False, truncate_ragged_lines=True)
        frame = frame.rename({c: alias.get(c, c) for c in frame.columns}).select(contract.column_names)
        relative = path.relative_to(exports).as_posix()
        frame = frame.with_row_index("line", offset=2).with_columns(
            pl.col("line").cast(pl.Int64), pl.lit(relative).alias("path")
        )
        frames.append(frame)
    if not frames:
        return pl.DataFrame(schema={c: pl.String for c in contract.column_names})
    rows = pl.concat(frames).join(bad, on=["path", "line"], how="anti")
    return rows.drop("path", "line")


def _starts(exports: Path, year: str) -> pl.DataFrame:
    """One row per pupil: the start event's school and level, the cycle, the school's sector."""
    enrol = read_entity(exports, year, "enrollments").filter(
        pl.col("event_type").is_in(["entry", "re_enrollment"])
    )
    enrol = enrol.unique("student_code", keep="first", maintain_order=True)
    levels = pl.DataFrame(list(read_seed("code_levels"))).select("level_code", "cycle_code")
    schools = (
        read_entity(exports, year, "schools").select("school_code", "sector", "area").unique("school_code")
    )
    return enrol.join(levels, on="level_code", how="left").join(schools, on="school_code", how="left")


def _population(pupils: pl.DataFrame, starts: pl.DataFrame) -> list[Marginal]:
    """Pupils by cycle, girls, private shares (all and by cycle), pupils by region."""
    n = pupils.height
    out: list[Marginal] = []
    cycle_counts = dict(starts.group_by("cycle_code").len().iter_rows())
    total_ref = sum(P.CYCLE_TOTALS.values())
    for cycle, ref in P.CYCLE_TOTALS.items():
        out.append(
            Marginal(
                f"pupils {cycle}",
                cycle_counts.get(cycle, 0),
                n * ref / total_ref,
                "press 2022-23 (HCP, MENPS)",
            )
        )
    out.append(Marginal("% girls", (pupils["sex"] == "F").mean() * 100, GIRLS_SHARE * 100, "press 2022-23"))
    school_age = starts.filter(pl.col("cycle_code") != "preschool")
    out.append(
        Marginal(
            "% private (primary-qualifiant)",
            (school_age["sector"] == "private").mean() * 100,
            PRIVATE_SHARE * 100,
            "press 2023-24 rentrée",
        )
    )
    for cycle, (share, source) in PRIVATE_SHARE_BY_CYCLE.items():
        part = starts.filter(pl.col("cycle_code") == cycle)
        out.append(
            Marginal(
                f"% private {cycle}",
                (part["sector"] == "private").mean() * 100 if part.height else 0.0,
                share * 100,
                source,
            )
        )
    weights = {r: sum(v) for r, v in P.REGION_PUPIL_ESTIMATES.items()}
    by_region = dict(pupils.group_by("region_code").len().iter_rows())
    for region, w in sorted(weights.items()):
        out.append(
            Marginal(
                f"pupils region {region}",
                by_region.get(region, 0),
                n * w / sum(weights.values()),
                "DERIVED estimate (HCP totals x RGPH 2024)",
            )
        )
    return out


def _teachers_and_dropout(exports: Path, year: str, starts: pl.DataFrame) -> list[Marginal]:
    """Public teachers (scaled to the public pupils) and the public in-year dropout rate."""
    teachers = read_entity(exports, year, "teachers").unique("teacher_code")
    sector = read_entity(exports, year, "schools").select("school_code", "sector").unique("school_code")
    public_teachers = teachers.join(sector, on="school_code").filter(pl.col("sector") == "public").height
    public_pupils = starts.filter(pl.col("sector") == "public").height
    enrol = read_entity(exports, year, "enrollments")
    public_school_age = starts.filter((pl.col("cycle_code") != "preschool") & (pl.col("sector") == "public"))
    dropped = enrol.filter(pl.col("event_type") == "dropout").select("student_code").unique()
    return [
        Marginal(
            "public teachers",
            public_teachers,
            PUBLIC_TEACHERS * public_pupils / PUBLIC_PUPILS,
            "press 2023-24 (278,627 for 7.39 M public pupils)",
        ),
        Marginal(
            "dropout % (public, in-year)",
            public_school_age.join(dropped, on="student_code", how="semi").height
            / max(public_school_age.height, 1)
            * 100,
            DROPOUT_RATE * 100,
            "press 2023-24",
        ),
    ]


def _bac(exports: Path, year: str, sex: pl.DataFrame) -> list[Marginal]:
    """The bac pass rate of the normal session (mean mark of 10 or more), all and by sex."""
    exams = read_entity(exports, year, "exam_results").filter(
        (pl.col("exam_code") == "BAC_NAT")
        & (pl.col("exam_session") == "normal")
        & pl.col("grade").is_not_null()
    )
    means = exams.group_by("student_code").agg(
        pl.col("grade").str.replace(",", ".").cast(pl.Float64).mean().alias("mean")
    )
    means = means.join(sex, on="student_code", how="left")
    out = [
        Marginal(
            "bac pass % (normal session)", (means["mean"] >= 10).mean() * 100, BAC_PASS * 100, "press 2024"
        )
    ]
    for s, ref in (("F", 72.0), ("M", 62.6)):
        part = means.filter(pl.col("sex") == s)
        out.append(
            Marginal(
                f"bac pass % {s}",
                (part["mean"] >= 10).mean() * 100 if part.height else 0.0,
                ref,
                "press 2024",
            )
        )
    return out


def _repetition(exports: Path, next_year: str, starts: pl.DataFrame, sex: pl.DataFrame) -> list[Marginal]:
    """UIS repetition rate in primary, all and boys: repeaters of grade g in t+1 over the pupils enrolled in
    grade g in t (pupils who dropped out or left during the year stay in the denominator)."""
    nxt = _starts(exports, next_year).select("student_code", pl.col("level_code").alias("next_level"))
    primary = (
        starts.filter(pl.col("cycle_code") == "primary")
        .join(nxt, on="student_code", how="left")
        .with_columns((pl.col("level_code") == pl.col("next_level")).fill_null(False).alias("repeated"))
    )
    repeat = primary["repeated"].mean() * 100 if primary.height else 0.0
    boys = primary.join(sex, on="student_code").filter(pl.col("sex") == "M")
    return [
        Marginal("primary repetition %", repeat, PRIMARY_REPETITION * 100, "press 2019-20"),
        Marginal(
            "primary repetition % boys",
            boys["repeated"].mean() * 100 if boys.height else 0.0,
            11.1,
            "press 2019-20",
        ),
    ]


def calibration(exports: Path) -> list[Marginal]:
    """The marginals of the first school year in ``exports`` (and flows into the second, if any)."""
    exports = Path(exports)
    years = sorted(p.name for p in exports.iterdir() if (p / "manifest.json").exists())
    if not years:
        raise FileNotFoundError(f"no school year with a manifest.json under {exports}")
    year = years[0]
    pupils = read_entity(exports, year, "pupils").unique("student_code")
    starts = _starts(exports, year)
    sex = pupils.select("student_code", "sex")
    out = (
        _population(pupils, starts) + _teachers_and_dropout(exports, year, starts) + _bac(exports, year, sex)
    )
    if len(years) > 1:
        out += _repetition(exports, years[1], starts, sex)
    return out


def calibration_report(exports: Path) -> str:
    """The calibration table as text (and printed)."""
    rows = calibration(exports)
    manifest = json.loads(next(Path(exports).glob("*/manifest.json")).read_text(encoding="utf-8"))
    lines = [
        f"Calibration of {exports} (seed {manifest['seed']}, {manifest['pupils']:,} pupils requested)",
        f"{'marginal':36s} {'generated':>12s} {'reference':>12s} {'ratio':>7s}  source",
    ]
    for m in rows:
        lines.append(f"{m.name:36s} {m.generated:12.1f} {m.reference:12.1f} {m.ratio:7.3f}  {m.source}")
    text = "\n".join(lines)
    print(text)
    return text
