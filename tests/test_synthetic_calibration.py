"""Calibration: the generated marginals, read back from the export files, match the reference figures.

The reference figures are typed here from the press file (reference-data/education_stats/
morocco_education_official_figures_from_press.csv) and the DERIVED regional estimate, not taken from
the generator; the report must print them beside the generated values. Every marginal of the report must
be within ±5 % of its reference: at 20,000 pupils (default suite) and at 100,000 pupils (slow).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from massar.cli import main
from massar.synthetic.calibration import calibration
from massar.synthetic.generate import generate

# Press figures: pupils by cycle 2022-23 (preschool ~0.95 M, primary 4.68 M, college 2.06 M, qualifiant
# 1.18 M), girls 48.7 %, private 13 %, dropout 4.4 %, bac normal session 67.8 % (girls 72.0, boys 62.6),
# primary repetition 8.9 % (boys 11.1).
CYCLES = {"preschool": 0.95, "primary": 4.68, "lower_secondary": 2.06, "upper_secondary": 1.18}
# DERIVED estimate, est_total_3_cycles by region (thousands).
REGIONS = {
    "01": 862.9, "02": 482.4, "03": 972.0, "04": 1059.4, "05": 573.9, "06": 1574.9,
    "07": 1118.8, "08": 405.8, "09": 649.7, "10": 91.3, "11": 92.6, "12": 36.1,
}  # fmt: skip
RATES = {
    "% girls": 48.7,
    "% private (primary-qualifiant)": 13.0,
    "dropout % (public, in-year)": 4.4,
    "bac pass % (normal session)": 67.8,
    "bac pass % F": 72.0,
    "bac pass % M": 62.6,
    "primary repetition %": 8.9,
    "primary repetition % boys": 11.1,
}
# press 2023-2024: 278,627 public teachers for 7,392,050 public pupils (preschool included).
PUBLIC_PUPILS_PER_TEACHER = 7_392_050 / 278_627


def _public_pupils(root: Path) -> int:
    """Distinct pupils whose start event of the first year is in a public school (bulk files, read here)."""
    year = sorted(p.name for p in root.iterdir() if (p / "manifest.json").exists())[0]

    def read(entity: str) -> pl.DataFrame:
        return pl.concat(
            pl.read_csv(
                p, separator=";", infer_schema=False, truncate_ragged_lines=True, encoding="utf8-lossy"
            )
            for p in sorted((root / year).glob(f"*/{entity}.csv"))
        )

    starts = read("enrollments").filter(pl.col("event_type").is_in(["entry", "re_enrollment"]))
    public = read("schools").filter(pl.col("sector") == "public").select("school_code").unique()
    return starts.join(public, on="school_code", how="semi")["student_code"].n_unique()


def _check(root: Path, pupils: int) -> None:
    got = {m.name: m for m in calibration(root)}
    total = sum(got[f"pupils {c}"].generated for c in CYCLES)
    assert abs(total / pupils - 1) < 0.05
    for cycle, millions in CYCLES.items():
        want = pupils * millions / sum(CYCLES.values())
        assert got[f"pupils {cycle}"].generated == pytest.approx(want, rel=0.05), cycle
    for region, thousands in REGIONS.items():
        want = pupils * thousands / sum(REGIONS.values())
        assert got[f"pupils region {region}"].generated == pytest.approx(want, rel=0.05), region
    for name, value in RATES.items():
        assert got[name].reference == pytest.approx(value, rel=0.01), f"{name}: the report's reference"
        assert got[name].generated == pytest.approx(value, rel=0.05), name
    assert got["bac pass % F"].generated > got["bac pass % M"].generated
    assert got["primary repetition % boys"].generated > got["primary repetition %"].generated
    # teachers: the reference is the national ratio applied to the public pupils (1 % of lines are faulty)
    teachers = got["public teachers"]
    assert teachers.reference == pytest.approx(_public_pupils(root) / PUBLIC_PUPILS_PER_TEACHER, rel=0.02)
    assert teachers.generated == pytest.approx(teachers.reference, rel=0.05)
    # and every marginal the report prints, whatever it is
    for m in got.values():
        assert abs(m.ratio - 1) <= 0.05, (m.name, m.generated, m.reference)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("calibration")
    generate(root, pupils=20_000, seed=42, years=2, fault_rate=0.01)
    return root


def test_marginals_are_within_five_percent_of_the_reference(exports: Path) -> None:
    _check(exports, 20_000)


@pytest.mark.slow
def test_marginals_are_within_five_percent_at_100k_pupils(tmp_path: Path) -> None:
    generate(tmp_path, pupils=100_000, seed=42, years=2, fault_rate=0.01)
    _check(tmp_path, 100_000)


def test_the_calibrate_command_prints_the_table(exports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--exports", str(exports)]) == 0
    out = capsys.readouterr().out
    assert "bac pass % (normal session)" in out and "ratio" in out and "67.8" in out
