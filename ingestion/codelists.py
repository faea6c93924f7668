"""Code lists (levels, subjects, absence reasons, regions...) are kept once, as dbt seeds.

The loader and the synthetic source read the allowed codes from the same CSV files that dbt loads as
crosswalk tables, so a code added to a seed is accepted everywhere at once.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from massar.settings import SEEDS_DIR


def seed_path(name: str) -> Path:
    """The seed CSV named ``name`` (searched in every seed folder)."""
    matches = sorted(SEEDS_DIR.rglob(f"{name}.csv"))
    if len(matches) != 1:
        raise FileNotFoundError(
            f"expected exactly one seed named {name}.csv under {SEEDS_DIR}, found {matches}"
        )
    return matches[0]


@cache
def read_seed(name: str) -> tuple[dict[str, str], ...]:
    """All rows of a seed, as dictionaries of strings."""
    with seed_path(name).open(encoding="utf-8-sig", newline="") as f:
        return tuple(csv.DictReader(f))


@cache
def allowed_codes(name: str) -> frozenset[str]:
    """The codes of a code list: the values of the seed's first column."""
    rows = read_seed(name)
    if not rows:
        return frozenset()
    key = next(iter(rows[0]))
    return frozenset(row[key] for row in rows)
