"""Small-cell suppression for the public statistics: primary and complementary, over a cube of counts.

The public figures are tables of counts with their totals (region x cycle x sex with the region,
cycle, sex and national totals; provinces within their region; ...). A count ``0 < n < threshold`` is
*sensitive*: it must not be published, nor be computable from what is published.

- **Cube.** ``build_cube`` turns a frame of counts at the finest grain into every cell the page may show:
  for each *hierarchy* of columns (``("region_code", "province_code")``, ``("sex",)``) a cell is either
  at some depth of it or its total. Every total is the sum of its children: those sums are the linear
  constraints an attacker can use (rows and columns of a two-way table are the simplest case; totals
  of totals, hierarchies and several tables sharing margins are handled the same way, jointly).
- **Primary suppression.** Every published sensitive cell is hidden.
- **Complementary suppression.** A hidden cell can be recovered exactly when it is *determined* by the
  constraints with every published value known: when the unit vector of that cell lies in the row space
  of the constraint matrix restricted to the unknown cells (hidden and unpublished ones). While a hidden
  cell (or a sensitive unpublished one) is determined, more published cells are hidden: first in the
  constraints left with a single unknown cell (the row/column rule), else in a constraint of the
  determined cell; in each, the most detailed cell, then the smallest non-zero one (a published zero is
  a poor complement: an attacker may know it is a structural zero). Repeat until no hidden cell is
  determined: then no hidden cell, primary or complementary, can be computed from what is published.
- **Release (no more than needed).** The greedy search can hide more than it must (a complement picked
  early may be made useless by later ones; in a table of small cells it climbs to the totals). Every
  complementary cell is then tried again, totals first: it is published back when, with its value
  known, no sensitive cell becomes determined (the hidden cells it then determines are published too:
  they are known anyway). What stays hidden is sensitive, or needed: publishing it alone would give a
  sensitive cell away. So a national or regional total of 10 or more is published unless it protects a
  small cell.

Cells a caller does not publish (``published=False``, e.g. province x sex) stay unknown to the attacker
but are still checked: a sensitive unpublished cell must not be computable either.

Why here and not in dbt: complementary suppression is an iterative fixed point over a linear system
(rank tests on the constraint matrix); set-based SQL cannot express it readably, and a small numpy
module can be unit-tested on hand-made tables. It runs once, when the public store is built
(``warehouse/serving.py``), so unsuppressed small counts never reach that store.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

THRESHOLD = 10
Hierarchy = tuple[str, ...]


@dataclass(frozen=True)
class Cube:
    """Cells (``cell_id``, the hierarchy columns, null = total, ``depth_<i>``, the value) and constraints."""

    cells: pl.DataFrame
    constraints: list[tuple[int, list[int]]]
    value: str
    hierarchies: tuple[Hierarchy, ...]


def _depth_columns(hierarchies: Sequence[Hierarchy]) -> list[str]:
    return [f"depth_{i}" for i in range(len(hierarchies))]


def build_cube(
    frame: pl.DataFrame,
    hierarchies: Sequence[Hierarchy],
    value: str,
    levels: Callable[[tuple[int, ...]], bool] | None = None,
) -> Cube:
    """All aggregation levels of ``frame`` (finest grain: every hierarchy column set) summed on ``value``.

    ``levels`` keeps only some levels (a tuple of depths, one per hierarchy): a level left out is not
    computed and no constraint goes through it.
    """
    hierarchies = tuple(tuple(h) for h in hierarchies)
    missing = [c for h in hierarchies for c in h if c not in frame.columns] + (
        [value] if value not in frame.columns else []
    )
    if missing:
        raise ValueError(f"columns missing from the frame: {missing}")
    if frame.select(pl.any_horizontal(pl.col(c for h in hierarchies for c in h).is_null()).any()).item():
        raise ValueError("hierarchy columns must not be null at the finest grain (null means total)")
    if frame.select((pl.col(value) < 0).any()).item():
        raise ValueError(f"{value} must be a non-negative count")
    all_columns = [c for h in hierarchies for c in h]
    depth_cols = _depth_columns(hierarchies)
    combos = [
        d for d in itertools.product(*(range(len(h) + 1) for h in hierarchies)) if levels is None or levels(d)
    ]
    parts: list[pl.DataFrame] = []
    for depths in combos:
        keys = [c for h, d in zip(hierarchies, depths, strict=True) for c in h[:d]]
        grouped = frame.group_by(keys).agg(pl.col(value).sum()) if keys else frame.select(pl.col(value).sum())
        parts.append(
            grouped.with_columns(
                *(pl.lit(None, dtype=frame.schema[c]).alias(c) for c in all_columns if c not in keys),
                *(pl.lit(d, dtype=pl.Int32).alias(name) for name, d in zip(depth_cols, depths, strict=True)),
            ).select(*all_columns, *depth_cols, pl.col(value).cast(pl.Int64))
        )
    cells = (
        pl.concat(parts)
        .sort([*depth_cols, *all_columns], nulls_last=False)
        .with_row_index("cell_id")
        .with_columns(pl.col("cell_id").cast(pl.Int64))
    )
    combo_set = set(combos)
    constraints: dict[int, list[int]] = {}
    for depths in combos:
        parent_keys = [c for h, d in zip(hierarchies, depths, strict=True) for c in h[:d]]
        parents = cells.filter(*(pl.col(n) == d for n, d in zip(depth_cols, depths, strict=True)))
        for i, h in enumerate(hierarchies):
            if depths[i] == len(h):
                continue
            child = (*depths[:i], depths[i] + 1, *depths[i + 1 :])
            if child not in combo_set:
                continue
            children = cells.filter(*(pl.col(n) == d for n, d in zip(depth_cols, child, strict=True)))
            pairs = (
                parents.select(*parent_keys, pl.col("cell_id").alias("parent")).join(
                    children.select(*parent_keys, pl.col("cell_id").alias("child")), on=parent_keys
                )
                if parent_keys
                else parents.select(pl.col("cell_id").alias("parent")).join(
                    children.select(pl.col("cell_id").alias("child")), how="cross"
                )
            )
            for parent, kids in pairs.group_by("parent").agg(pl.col("child").sort()).iter_rows():
                constraints[(parent << 8) | i] = [parent, *kids]
    return Cube(
        cells=cells,
        constraints=[(c[0], c[1:]) for _, c in sorted(constraints.items())],
        value=value,
        hierarchies=hierarchies,
    )


def determined(
    n_cells: int, constraints: Sequence[tuple[int, Sequence[int]]], unknown: np.ndarray
) -> np.ndarray:
    """Which unknown cells the constraints fix, every other cell being known (True = recoverable).

    Cell j is fixed iff the unit vector e_j lies in the row space of the constraint matrix restricted to
    the unknown cells: with the SVD ``M = U S Vt``, iff the squared norm of column j of the rank rows of
    ``Vt`` (the projection of e_j on the row space) is 1.
    """
    columns = np.flatnonzero(unknown)
    out = np.zeros(n_cells, dtype=bool)
    if columns.size == 0:
        return out
    position = {int(c): k for k, c in enumerate(columns)}
    rows = []
    for total, parts in constraints:
        row = np.zeros(columns.size)
        touched = False
        for cell, coefficient in ((total, -1.0), *((p, 1.0) for p in parts)):
            k = position.get(cell)
            if k is not None:
                row[k] = coefficient
                touched = True
        if touched:
            rows.append(row)
    if not rows:
        return out
    matrix = np.vstack(rows)
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    tolerance = max(matrix.shape) * np.finfo(float).eps * (singular[0] if singular.size else 0.0)
    rank = int((singular > max(tolerance, 1e-9)).sum())
    projection = (vt[:rank] ** 2).sum(axis=0)
    out[columns] = projection > 1.0 - 1e-6
    return out


def protect(cube: Cube, published: np.ndarray | None = None, threshold: int = THRESHOLD) -> np.ndarray:
    """The cells to hide (a boolean array over ``cube.cells``, in ``cell_id`` order)."""
    values = cube.cells[cube.value].to_numpy().astype(np.int64)
    n = values.size
    published = np.ones(n, dtype=bool) if published is None else np.asarray(published, dtype=bool)
    detail = cube.cells.select(pl.sum_horizontal(_depth_columns(cube.hierarchies))).to_series().to_numpy()
    sensitive = (values > 0) & (values < threshold)
    hidden = sensitive & published
    members = [(total, *parts) for total, parts in cube.constraints]
    member_of: list[list[int]] = [[] for _ in range(n)]
    for index, cells in enumerate(members):
        for cell in cells:
            member_of[cell].append(index)

    def best(constraint: int) -> int | None:
        usable = [c for c in members[constraint] if published[c] and not hidden[c]]
        if not usable:
            return None
        return min(usable, key=lambda c: (values[c] == 0, -detail[c], values[c], c))

    for _ in range(n + 1):
        unknown = hidden | ~published
        fixed = determined(n, cube.constraints, unknown)
        exposed = np.flatnonzero(fixed & ((hidden & published) | (sensitive & ~published)))
        if exposed.size == 0:
            return _release(cube.constraints, hidden, published, sensitive, values, detail)
        component = _components(n, members, unknown)
        at_risk = {component[c] for c in exposed.tolist()}
        # 1. lines with a single unknown cell (the line rule), in the components of exposed cells
        singles = []
        for index, cells in enumerate(members):
            open_cells = [c for c in cells if unknown[c]]
            if len(open_cells) == 1 and component[open_cells[0]] in at_risk:
                singles.append((not sensitive[open_cells[0]], index))
        # 2. else (every line has two unknowns, yet a cell is fixed): a line of the exposed cell
        if not singles:
            for cell in exposed.tolist():
                own = sorted(member_of[cell], key=lambda i: sum(bool(unknown[c]) for c in members[i]))
                singles.extend((True, i) for i in own)
        touched: set[int] = set()
        added = 0
        for _, index in sorted(singles):
            if index in touched:
                continue
            pick = best(index)
            if pick is None:
                continue
            hidden[pick] = True
            touched.update(member_of[pick])
            added += 1
        if added == 0:
            raise RuntimeError(f"cannot protect cells {exposed.tolist()}: no published cell left to hide")
    raise RuntimeError("complementary suppression did not converge")  # pragma: no cover (bounded by n)


def _release(
    constraints: Sequence[tuple[int, Sequence[int]]],
    hidden: np.ndarray,
    published: np.ndarray,
    sensitive: np.ndarray,
    values: np.ndarray,
    detail: np.ndarray,
) -> np.ndarray:
    """Publish again every complementary cell that protects nothing (the greedy search over-hides).

    Complementary cells are tried from the least detailed and largest (national and regional totals
    first): a cell goes back to the published set when, with it known, no sensitive cell becomes
    determined; the hidden cells it then determines protect nothing either and are published too (they
    are known anyway). At the end every hidden cell is sensitive or needed: publishing it alone would
    determine a sensitive cell.

    With the unknown cells' null space N (the values the unknowns can take, the published ones fixed:
    x = N a), a cell j is determined iff its row N_j is 0. Knowing cell c restricts a to N_c . a = 0:
    j is then determined iff N_j is parallel to N_c. Once c is published, N becomes N (I - v v' / v'v)
    (v = N_c), which spans the restricted null space. One SVD per cube, then a rank-one step per cell.
    """
    hidden = hidden.copy()
    unknown = hidden | ~published
    columns = np.flatnonzero(unknown)
    order = sorted(np.flatnonzero(hidden & ~sensitive).tolist(), key=lambda c: (detail[c], -values[c], c))
    if not order:
        return hidden
    position = {int(c): k for k, c in enumerate(columns)}
    rows = []
    for total, parts in constraints:
        row = np.zeros(columns.size)
        for cell, coefficient in ((total, -1.0), *((p, 1.0) for p in parts)):
            k = position.get(cell)
            if k is not None:
                row[k] = coefficient
        if row.any():
            rows.append(row)
    if rows:
        matrix = np.vstack(rows)
        if matrix.shape[0] < columns.size:  # zero rows: the reduced SVD then has every right vector
            matrix = np.vstack([matrix, np.zeros((columns.size - matrix.shape[0], columns.size))])
        _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
        tolerance = max(matrix.shape) * np.finfo(float).eps * (singular[0] if singular.size else 0.0)
        rank = int((singular > max(tolerance, 1e-9)).sum())
        null = vt[rank:].T
    else:
        null = np.eye(columns.size)
    zero = 1e-8
    guarded = sensitive[columns]
    for cell in order:
        if not hidden[cell]:
            continue
        v = null[position[cell]]
        norm = float(v @ v)
        if norm < zero:  # already determined: known anyway
            hidden[cell] = False
            continue
        restricted = null - np.outer(null @ v / norm, v)
        fixed = (restricted**2).sum(axis=1) < zero
        if (fixed & guarded).any():
            continue  # needed: it protects a sensitive cell
        null = restricted
        known = columns[fixed]
        hidden[known[published[known] & ~sensitive[known]]] = False
    return hidden


def _components(n: int, members: Sequence[Sequence[int]], unknown: np.ndarray) -> list[int]:
    """Connected components of the unknown cells (linked when they share a constraint)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for cells in members:
        open_cells = [c for c in cells if unknown[c]]
        for other in open_cells[1:]:
            parent[find(other)] = find(open_cells[0])
    return [find(c) for c in range(n)]


def suppressed_cells(
    frame: pl.DataFrame,
    hierarchies: Sequence[Hierarchy],
    value: str,
    *,
    levels: Callable[[tuple[int, ...]], bool] | None = None,
    published: pl.Expr | None = None,
    threshold: int = THRESHOLD,
) -> pl.DataFrame:
    """The published cells of ``frame``'s cube: ``value`` null where hidden, and a ``suppressed`` flag.

    ``published`` (an expression over the cube's cells: hierarchy columns and ``depth_<i>``) says which
    cells are shown (default: all); the others take part in the constraints and in the check, and are
    dropped from the result.
    """
    cube = build_cube(frame, hierarchies, value, levels)
    shown = (
        np.ones(cube.cells.height, dtype=bool)
        if published is None
        else cube.cells.select(published.fill_null(False)).to_series().to_numpy().astype(bool)
    )
    hidden = protect(cube, shown, threshold)
    return (
        cube.cells.with_columns(pl.Series("suppressed", hidden), pl.Series("_shown", shown))
        .filter(pl.col("_shown"))
        .with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(value)).alias(value))
        .drop("_shown", "cell_id")
    )
