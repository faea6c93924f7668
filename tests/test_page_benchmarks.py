"""The page benchmarks still run against the data-access layer as it is.

``benchmarks/bench_absence_pages.py`` and ``bench_uis_pages.py`` build a synthetic published warehouse with
the marts' column layouts and call every query of their pages. When a query starts reading a table the
benchmark does not build (``marts.dim_class``, say), the benchmark breaks silently until the
next national-scale measurement; this test runs both at a small size and checks that every page and role
was timed. The figures themselves are not asserted (speed is reported by the benchmarks, not tested).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROLES = ("ministry", "region", "province", "school")


@pytest.mark.parametrize(
    ("script", "pages"),
    [
        ("bench_absence_pages.py", ("absence_monitoring", "data_quality")),
        ("bench_uis_pages.py", ("indicators", "grades_exams", "teachers_infrastructure")),
    ],
)
def test_page_benchmark_times_every_page_and_role(
    script: str, pages: tuple[str, ...], tmp_path: Path
) -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--pupils", "1000", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # the benchmark's warehouse goes there
    )
    assert run.returncode == 0, run.stderr[-3000:]
    timed = {tuple(line.split()[:2]) for line in run.stdout.splitlines() if line.split()}
    missing = [(page, role) for page in pages for role in ROLES if (page, role) not in timed]
    assert not missing, f"pages not timed: {missing}\n{run.stdout}"
