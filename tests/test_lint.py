"""Code style is part of the build: ruff for Python, SQLFluff for the dbt models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def test_ruff_check() -> None:
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_dbt_models() -> None:
    result = _run(str(BIN / "sqlfluff"), "lint", "models", "--processes", "0", cwd=REPO / "dbt")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
