"""Random draws whose counts hold at every sample size."""

from __future__ import annotations

import numpy as np


def systematic_draw(rng: np.random.Generator, p: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Who is drawn: each unit with probability ``p`` (at most 1), and in each group the number drawn is the
    group's expected count rounded down or up (systematic sampling in a random order: a random start in
    [0, 1) per group, every unit where the running sum of ``p`` crosses a whole number). The rates then
    hold at every sample size, not only on average: independent draws would leave the primary repetition
    rate of 8,000 pupils within about 5 % of its target only two times in three."""
    if not len(p):
        return np.zeros(0, dtype=bool)
    order = np.lexsort((rng.random(len(p)), group))
    g, q = group[order], p[order]
    first = np.concatenate([[True], g[1:] != g[:-1]])
    start = np.flatnonzero(first)
    total = np.cumsum(q)
    before = np.repeat(total[start] - q[start], np.diff(np.append(start, len(q))))
    offset = np.repeat(rng.random(len(start)), np.diff(np.append(start, len(q))))
    upper = np.floor(total - before + offset)
    lower = np.floor(total - before - q + offset)
    out = np.zeros(len(p), dtype=bool)
    out[order] = upper > lower
    return out
