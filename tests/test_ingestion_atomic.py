"""A load killed at random points (kill -9) leaves no uncommitted data visible once recovered, and the
rerun gives the same lake as an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from ingestion import lake as lk
from ingestion.integrity import check_lake
from ingestion.loader import ingest_region
from massar.settings import REPO_ROOT
from synthetic.generate import generate

REGIONS = ("01", "02")
TRIALS = 10
# Load timestamps, and the load log's size and checksum of each file (its bytes hold the timestamps).
TIMESTAMPS = {"_loaded_at", "loaded_at", "data_bytes", "data_sha256", "quarantine_bytes", "quarantine_sha256"}


def ingest_command(home: Path) -> subprocess.Popen:
    env = {**os.environ, "MASSAR_HOME": str(home)}
    args = [sys.executable, "-m", "massar.cli", "ingest"]
    for region in REGIONS:
        args += ["--region", region]
    return subprocess.Popen(
        args, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def home_with(exports: Path, home: Path) -> Path:
    home.mkdir(parents=True)
    (home / "exports").symlink_to(exports, target_is_directory=True)
    return home


def snapshot(lake: Path) -> dict[str, pl.DataFrame]:
    """Every visible Parquet file, its rows in a canonical order, load timestamps (and what they change)
    left out."""
    out = {}
    for path in sorted(lake.rglob("*.parquet")):
        frame = pl.read_parquet(path)
        frame = frame.drop([c for c in frame.columns if c in TIMESTAMPS])
        out[path.relative_to(lake).as_posix()] = frame.sort(frame.columns) if frame.columns else frame
    return out


def wait_for_first_batch(process: subprocess.Popen, lake: Path) -> float:
    """Seconds until the first load-log record appears (imports and start-up come before)."""
    started = time.perf_counter()
    while process.poll() is None and not any((lake / lk.LOAD_LOG).glob("*/*.parquet")):
        time.sleep(0.005)
    return time.perf_counter() - started


def visible_but_unexplained(lake: Path) -> list[Path]:
    """Visible data files without a load-log record that no pending intent accounts for."""
    pending = set()
    for intent in (lake / lk.PENDING).glob("*/*.json"):
        pending |= {lake / rel for rel in json.loads(intent.read_text())["files"]}
    return [p for p in lk.uncommitted_files(lake) if p not in pending]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atomic") / "exports"
    generate(out, pupils=250, seed=5, fault_rate=0.05)
    return out


def test_killed_loads_recover_to_the_clean_result(exports: Path, tmp_path: Path) -> None:
    clean_home = home_with(exports, tmp_path / "clean")
    process = ingest_command(clean_home)
    wait_for_first_batch(process, clean_home / "lake")
    started = time.perf_counter()
    assert process.wait() == 0
    loading = time.perf_counter() - started  # from the first committed batch to the end
    clean = snapshot(clean_home / "lake")
    batches = len(list((clean_home / "lake" / lk.LOAD_LOG).glob("*/*.parquet")))
    assert batches > 10

    rng = random.Random(20261129)
    interrupted = 0
    for trial in range(TRIALS):
        home = home_with(exports, tmp_path / f"trial{trial}")
        process = ingest_command(home)
        wait_for_first_batch(process, home / "lake")
        time.sleep(rng.uniform(0.0, 0.9) * loading)
        process.send_signal(signal.SIGKILL)
        process.wait()
        lake = home / "lake"
        logged = len(list((lake / lk.LOAD_LOG).glob("*/*.parquet")))
        interrupted += 0 < logged < batches
        # What a reader can see is committed, or named by an intent that recovery will undo.
        assert visible_but_unexplained(lake) == [], f"trial {trial}"
        for region in REGIONS:
            ingest_region(home / "exports", lake, region)
        assert lk.uncommitted_files(lake) == [], f"trial {trial}"
        assert not list((lake / lk.PENDING).glob("*/*.json")), f"trial {trial}: intents left"
        assert not list(lake.rglob(".*.tmp-*")), f"trial {trial}: temporary files left"
        assert check_lake(lake, full=True).problems == [], f"trial {trial}: lake and load log disagree"
        again = snapshot(lake)
        assert again.keys() == clean.keys(), f"trial {trial}"
        for name, frame in clean.items():
            assert again[name].equals(frame), f"trial {trial}: {name} differs"
    assert interrupted >= TRIALS // 2, f"only {interrupted} of {TRIALS} kills landed during the load"
