"""Calibration: the generated marginals, read back from the export files, match the reference figures.

The reference figures are typed here from the press file (reference-data/education_stats/
morocco_education_official_figures_from_press.csv) and the DERIVED regional estimate, not taken from
the generator; the report must print them beside the generated values.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from massar.cli import main
from massar.synthetic.calibration import calibration
from massar.synthetic.generate import generate

PUPILS = 20_000
# Press figures: pupils by cycle 2022-23 (preschool ~0.95 M, primary 4.68 M, college 2.06 M, qualifiant
# 1.18 M), girls 48.7 %, private 13 %, dropout 4.4 %, bac normal session 67.8 %, primary repetition 8.9 %.
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
    "primary repetition %": 8.9,
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("calibration")
    generate(root, pupils=PUPILS, seed=42, years=2, fault_rate=0.01)
    return root


def test_marginals_are_within_five_percent_of_the_reference(exports: Path) -> None:
    got = {m.name: m for m in calibration(exports)}
    pupils = sum(got[f"pupils {c}"].generated for c in CYCLES)
    assert abs(pupils / PUPILS - 1) < 0.05
    for cycle, millions in CYCLES.items():
        want = PUPILS * millions / sum(CYCLES.values())
        assert got[f"pupils {cycle}"].generated == pytest.approx(want, rel=0.05), cycle
    for region, thousands in REGIONS.items():
        want = PUPILS * thousands / sum(REGIONS.values())
        assert got[f"pupils region {region}"].generated == pytest.approx(want, rel=0.05), region
    for name, value in RATES.items():
        assert got[name].generated == pytest.approx(value, rel=0.05), name
        assert got[name].reference == pytest.approx(value, rel=0.01), f"{name}: the report's reference"
    assert got["bac pass % F"].generated > got["bac pass % M"].generated
    assert got["primary repetition % boys"].generated > got["primary repetition %"].generated
    # Teachers depend on scale (a small country has small schools): within 50 % at 20,000 pupils; the
    # national-scale figure is in docs/synthetic.md.
    teachers = got["public teachers"]
    assert 0.9 < teachers.ratio < 1.5


def test_the_calibrate_command_prints_the_table(exports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--exports", str(exports)]) == 0
    out = capsys.readouterr().out
    assert "bac pass % (normal session)" in out and "ratio" in out and "67.8" in out
