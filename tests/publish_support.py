"""Helpers for the publication tests: a private copy of the session pipeline's home, the ``massar`` command
run as a subprocess, and a candidate declared as built (no dbt)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from massar.settings import HOME_ENV, export_environment

REPO = Path(__file__).resolve().parents[1]
#: what a publication test needs of the session home (not its Airflow metadata, Cosmos caches or exports)
HOME_PARTS = ("lake", "warehouse", "serving", "gx", "dbt-target", "keys")


def copy_home(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in HOME_PARTS:
        if (source / part).exists():
            shutil.copytree(source / part, target / part, symlinks=True)
    return target


@contextmanager
def home_at(home: Path) -> Iterator[Path]:
    """``MASSAR_HOME`` pointed at ``home`` for the block (and back, with the derived variables)."""
    previous = os.environ.get(HOME_ENV)
    os.environ[HOME_ENV] = str(home)
    export_environment()
    try:
        yield home
    finally:
        if previous is None:
            os.environ.pop(HOME_ENV, None)
        else:
            os.environ[HOME_ENV] = previous
            export_environment()


def massar(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the ``massar`` command on ``home`` as an operator would."""
    env = {**os.environ, HOME_ENV: str(home)}
    return subprocess.run(
        [sys.executable, "-m", "massar.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def sealed_gate(home: Path, kind: str = "a test standing in for a build") -> dict[str, object]:
    """Declare the candidate of ``home`` (as it is) a complete build of its lake, and return a passing
    gate verdict bound to it (what ``massar check`` returns for a clean candidate)."""
    from warehouse import build_record
    from warehouse.publish import candidate_fingerprint

    candidate = home / "warehouse" / "candidate.duckdb"
    record = build_record.seal(candidate, home / "lake", kind)
    return {
        "publishable": True,
        "verdict": "pass",
        "warnings": 0,
        "critical": 0,
        "candidate": candidate_fingerprint(candidate),
        "build": record["id"],
    }
