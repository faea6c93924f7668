"""Seed names: a code list is ``code_<list>``, a crosswalk ``xwalk_<name>`` (the rules and the calendar keep
their names), no seed shares a name with a model, and every ``reference.<table>`` the pages, the gate and
the pipeline read is a seed. Reads the files only (no dbt run)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "dbt" / "seeds"
UNPREFIXED_FOLDERS = {"rules", "calendar"}  # business-rule parameters and the school calendar
UNPREFIXED_RULES = {"statutory_loads", "curriculum_hours"}  # the HR domain's rule parameters (hours)


def _seed_files() -> dict[str, Path]:
    return {p.stem: p for p in SEEDS.rglob("*.csv")}


def test_code_lists_and_crosswalks_are_prefixed() -> None:
    seeds = _seed_files()
    assert len(seeds) == len(list(SEEDS.rglob("*.csv"))), "two seeds share a name"
    unprefixed = [
        str(p.relative_to(SEEDS))
        for name, p in seeds.items()
        if p.parent.name not in UNPREFIXED_FOLDERS
        and name not in UNPREFIXED_RULES
        and not name.startswith(("code_", "xwalk_"))
    ]
    assert unprefixed == []
    assert "code_levels" in seeds and "xwalk_directions_provinciales" in seeds


def test_seed_yml_entries_name_the_csv_files_and_no_model() -> None:
    seeds = _seed_files()
    documented = {
        entry["name"]
        for path in SEEDS.rglob("_*.yml")
        for entry in (yaml.safe_load(path.read_text()) or {}).get("seeds", [])
    }
    assert documented == set(seeds)
    models = {p.stem for p in (REPO / "dbt" / "models").rglob("*.sql")}
    assert not models & set(seeds)


def test_python_readers_name_existing_seeds() -> None:
    seeds = set(_seed_files())
    read = {
        (str(path.relative_to(REPO)), name)
        for folder in ("dashboards", "expectations", "massar", "warehouse", "ingestion")
        for path in (REPO / folder).rglob("*.py")
        for name in re.findall(r"\breference\.([a-z_]+)\b", path.read_text(encoding="utf-8"))
    }
    assert read, "no reader found: the pattern is wrong"
    assert sorted((f, n) for f, n in read if n not in seeds) == []
