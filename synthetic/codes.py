"""Identifier formats: pupil codes (code Massar), teacher codes, school codes.

Every identifier is a bijection of a per-region counter, so codes are unique nationally and stable
across years without any registry shared between regions:

- pupil ``^[A-Z][0-9]{9}$``: one of the region's two letters + a scrambled 9-digit number;
- teacher ``^T[0-9]{8}$``: ``T`` + region code + a scrambled 6-digit number;
- school ``^[0-9]{5}[A-Z]$``: the province's 5 HCP digits + a letter for its first 26 schools, then
  the region's 2 digits + a spare 3-digit block (not a province code of the region) + a letter.

Counters count up from 0 for real people; rows invented by fault injection count down from the top
of the range, so they never collide with a real pupil or teacher, whatever ``fault_rate`` is.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # 24 letters: two per region, no I or O
_PUPIL_MOD = 1_000_000_000
_PUPIL_MUL = 387_420_489  # 3**18, coprime with 10
_PUPIL_ADD = 271_828_182
_TEACHER_MOD = 1_000_000
_TEACHER_MUL = 823_543  # 7**7
_TEACHER_ADD = 314_159
FAKE_PUPIL_BASE = _PUPIL_MOD - 1
FAKE_TEACHER_BASE = _TEACHER_MOD - 1
# Prefix of school codes that exist nowhere (no region code is 99).
UNKNOWN_SCHOOL_PREFIX = "99"


def region_letters(region_code: str) -> str:
    i = int(region_code) - 1
    return _LETTERS[2 * i : 2 * i + 2]


def student_codes(region_code: str, numbers: np.ndarray) -> pl.Series:
    """Codes of the pupils numbered ``numbers`` (0, 1, 2... in order of arrival) in a region."""
    n = np.asarray(numbers, dtype=np.int64)
    digits = (_PUPIL_MUL * n + _PUPIL_ADD) % _PUPIL_MOD
    # The letter does not take part in uniqueness (the digits do); it only varies the look.
    letters = np.array(list(region_letters(region_code)))[(digits // 7) % 2]
    return pl.Series("student_code", letters) + pl.Series(digits).cast(pl.String).str.zfill(9)


def fake_student_numbers(start: int, count: int) -> np.ndarray:
    """Counter values for invented pupils (fault rows), from the top of the range."""
    return FAKE_PUPIL_BASE - np.arange(start, start + count, dtype=np.int64)


def teacher_codes(region_code: str, numbers: np.ndarray) -> pl.Series:
    n = np.asarray(numbers, dtype=np.int64)
    digits = (_TEACHER_MUL * n + _TEACHER_ADD) % _TEACHER_MOD
    return ("T" + region_code) + pl.Series("teacher_code", digits).cast(pl.String).str.zfill(6)


def fake_teacher_numbers(start: int, count: int) -> np.ndarray:
    return FAKE_TEACHER_BASE - np.arange(start, start + count, dtype=np.int64)


def school_letter(k: int) -> str:
    return chr(ord("A") + k % 26)


def spare_blocks(region_code: str, province_digits: list[str]) -> list[str]:
    """3-digit blocks free for extra school codes in a region, highest first."""
    used = {d[2:] for d in province_digits}
    return [f"{b:03d}" for b in range(999, 0, -1) if f"{b:03d}" not in used]


def unknown_school_codes(rng: np.random.Generator, count: int) -> list[str]:
    """School codes that match the pattern but belong to no region."""
    digits = rng.integers(0, 1000, size=count)
    letters = rng.integers(0, 26, size=count)
    return [
        f"{UNKNOWN_SCHOOL_PREFIX}{d:03d}{chr(ord('A') + int(x))}"
        for d, x in zip(digits, letters, strict=True)
    ]
