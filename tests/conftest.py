"""Shared fixtures. The data folder and Airflow home point at a temporary directory *before* anything
imports Airflow, so tests never touch a developer's data."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="massar-test-"))
os.environ["MASSAR_HOME"] = str(_SESSION_HOME)
os.environ["AIRFLOW_HOME"] = str(_SESSION_HOME / "airflow")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

from massar.settings import export_environment  # noqa: E402

export_environment()


def _scan_installed_components_once() -> None:
    """Every new ``AppTest`` makes Streamlit scan all installed distributions for v2 component manifests
    (0.2–0.4 s here, with Airflow's hundreds of packages installed: about a tenth of the page tests' time).
    The installed packages do not change during a test session, so the real scan runs once and its result
    is reused: the pages still run with every component Streamlit finds."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # another Streamlit layout: nothing to speed up
        return
    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is not None and not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


_scan_installed_components_once()

E2E_PUPILS = 400
E2E_SEED = 7
E2E_FAULT_RATE = 0.02
#: three school years, as the demo: flows, transitions and survival need a year after the one measured
E2E_YEARS = 3


@pytest.fixture(scope="session")
def pipeline_home() -> Iterator[Path]:
    """Synthetic exports for a tiny country over three school years, run through the real Airflow DAG
    (ingest → dbt via Cosmos → Great Expectations gate → publish). Yields ``$MASSAR_HOME``."""
    from massar.orchestration import run_dag
    from synthetic.generate import generate

    generate(
        _SESSION_HOME / "exports",
        pupils=E2E_PUPILS,
        seed=E2E_SEED,
        years=E2E_YEARS,
        fault_rate=E2E_FAULT_RATE,
        daily_days=5,  # the last school days arrive as daily drops, with late corrections
        file_fault_rate=0.1,  # some files in Windows-1256, with renamed or reordered headers, cut short
    )
    state = run_dag("massar_pipeline")
    assert state == "success", f"the pipeline DAG ended {state}"
    yield _SESSION_HOME


@pytest.fixture(scope="session")
def published_db(pipeline_home: Path) -> Path:
    from warehouse.publish import current

    live = current(pipeline_home / "warehouse" / "published")
    assert live is not None and live.path.exists()
    return live.path


@pytest.fixture(scope="session")
def restricted_db(pipeline_home: Path) -> Path:
    """The restricted file the session pipeline's build wrote beside its candidate (the pupils' identity and
    the lookup's serving models; never part of the published version)."""
    from massar.settings import paths

    path = paths().restricted_db
    assert path.exists()
    return path


@pytest.fixture(scope="session")
def published_home(pipeline_home: Path) -> Path:
    """The data folder holding the published warehouse that the dashboards read."""
    return pipeline_home


@pytest.fixture(scope="session")
def domain_country() -> object:
    """The faulty country the domain tests share (``domain_support.shared_country``), generated and ingested
    once per session."""
    from domain_support import shared_country

    return shared_country()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("MASSAR_KEEP_TEST_DATA") != "1":
        shutil.rmtree(_SESSION_HOME, ignore_errors=True)
        from domain_support import remove_shared_country

        remove_shared_country()
