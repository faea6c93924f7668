"""Public statistics: no small cell is published, none can be recovered from the totals, and the page
shows the store's figures (checked against independent SQL on the marts), in French and Arabic.

The recovery check is written here, independently of ``warehouse/suppression.py``: the test writes the
additive relations of each published table itself (rows, columns, totals of totals, provinces within
regions, candidates = passed + failed) and asks, for every hidden cell, whether the published values
fix it (the rank of the relations drops without that unknown).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from lookup_fixtures import published_store
from streamlit.testing.v1 import AppTest

from dashboards.i18n import t
from warehouse.suppression import THRESHOLD, suppressed_cells

REPO = Path(__file__).resolve().parents[1]
PUBLIC_APP = REPO / "dashboards" / "public" / "app.py"
STATS_PAGE = "pages_public/public_statistics.py"

Var = Hashable
Equation = list[tuple[Var, float]]  # sum of coefficient x variable = 0


# --- an independent recovery checker --------------------------------------------------------------


def recoverable(values: dict[Var, float | None], equations: list[Equation]) -> set[Var]:
    """The unknown variables (value None) that the equations fix, all known values being given.

    For each connected group of unknowns, an unknown x_k is fixed iff some combination of the equations
    isolates it: iff ``M.T y = e_k`` has an exact solution (least squares with a zero residual), M being
    the matrix of the equations restricted to the group's unknowns.
    """
    unknown = {v for v, x in values.items() if x is None}
    parent = {v: v for v in unknown}

    def find(v: Var) -> Var:
        while parent[v] != v:
            v = parent[v]
        return v

    for equation in equations:
        open_vars = [v for v, _ in equation if v in unknown]
        for other in open_vars[1:]:
            parent[find(other)] = find(open_vars[0])
    groups: dict[Var, list[Var]] = {}
    for v in unknown:
        groups.setdefault(find(v), []).append(v)
    fixed: set[Var] = set()
    for members in groups.values():
        index = {v: i for i, v in enumerate(members)}
        rows = []
        for equation in equations:
            row = np.zeros(len(members))
            for v, coefficient in equation:
                if v in index:
                    row[index[v]] += coefficient
            if row.any():
                rows.append(row)
        if not rows:
            continue
        transposed = np.vstack(rows).T
        identity = np.eye(len(members))
        solution, *_ = np.linalg.lstsq(transposed, identity, rcond=None)
        residual = np.abs(transposed @ solution - identity).max(axis=0)
        fixed.update(v for v, i in index.items() if residual[i] < 1e-6)
    return fixed


def sum_equation(total: Var, parts: Iterable[Var]) -> Equation:
    return [(total, -1.0), *((p, 1.0) for p in parts)]


# --- hand-made tables --------------------------------------------------------------------------------


def two_way(grid: list[list[int]]) -> tuple[dict[Var, float | None], dict[Var, int], list[Equation]]:
    """Suppress a two-way table (rows r0.., columns c0..) with its margins: (published, true, equations)."""
    rows = [f"r{i}" for i in range(len(grid))]
    cols = [f"c{j}" for j in range(len(grid[0]))]
    frame = pl.DataFrame(
        [{"r": r, "c": c, "n": grid[i][j]} for i, r in enumerate(rows) for j, c in enumerate(cols)]
    )
    cells = suppressed_cells(frame, [("r",), ("c",)], "n")
    published = {(r, c): n for r, c, n in cells.select("r", "c", "n").rows()}
    truth = {(r, c): grid[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    for i, r in enumerate(rows):
        truth[(r, None)] = sum(grid[i])
    for j, c in enumerate(cols):
        truth[(None, c)] = sum(row[j] for row in grid)
    truth[(None, None)] = sum(map(sum, grid))
    equations = [sum_equation((r, None), [(r, c) for c in cols]) for r in [*rows, None]]
    equations += [sum_equation((None, c), [(r, c) for r in rows]) for c in [*cols, None]]
    return published, truth, equations


def assert_protected(
    published: dict[Var, float | None], truth: dict[Var, int], equations: list[Equation]
) -> None:
    assert set(published) == set(truth)
    for cell, value in published.items():
        assert value is None or value == truth[cell], cell  # published values are the true ones
        assert not (value is not None and 0 < value < THRESHOLD), cell  # primary suppression
        if 0 < truth[cell] < THRESHOLD:
            assert value is None, cell
    assert not recoverable(published, equations)  # complementary suppression


def line_counts(published: dict[Var, float | None], equations: list[Equation]) -> list[int]:
    return [sum(published[v] is None for v, _ in eq) for eq in equations]


def test_the_checker_finds_what_primary_suppression_alone_leaves_open() -> None:
    """The checker itself: one hidden cell of a table with its totals is recovered; a rectangle is not;
    nor is a cell behind two hidden cells in one line when another equation isolates it."""
    cells = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]
    truth = {("a", "x"): 5, ("a", "y"): 20, ("b", "x"): 30, ("b", "y"): 40}
    truth |= {("a", None): 25, ("b", None): 70, (None, "x"): 35, (None, "y"): 60, (None, None): 95}
    equations = [sum_equation((r, None), [(r, c) for c in "xy"]) for r in ("a", "b")]
    equations += [sum_equation((None, c), [(r, c) for r in "ab"]) for c in ("x", "y")]
    one: dict[Var, float | None] = {**truth, ("a", "x"): None}
    assert recoverable(one, equations) == {("a", "x")}
    rectangle: dict[Var, float | None] = {**truth, **dict.fromkeys(cells)}
    assert recoverable(rectangle, equations) == set()
    bridge: dict[Var, float | None] = {**truth, ("a", "x"): None, ("a", "y"): None, ("b", "y"): None}
    assert recoverable(bridge, equations) == {("a", "x"), ("a", "y"), ("b", "y")}


def test_a_single_small_cell_is_hidden_with_three_complements() -> None:
    published, truth, equations = two_way([[5, 20, 30], [40, 50, 60], [70, 80, 90]])
    assert_protected(published, truth, equations)
    hidden = {c for c, v in published.items() if v is None}
    assert ("r0", "c0") in hidden and len(hidden) == 4  # the smallest possible pattern: a rectangle
    assert all(count != 1 for count in line_counts(published, equations))
    assert published[(None, None)] == 445 and published[("r0", None)] == 55  # margins kept


def test_a_small_total_is_hidden_and_protected() -> None:
    published, truth, equations = two_way([[3, 4, 0], [40, 50, 60], [70, 80, 90]])
    assert_protected(published, truth, equations)
    assert published[("r0", None)] is None  # total 7
    assert published[("r0", "c2")] == 0  # a zero is not a small cell


def test_zeros_are_published_and_not_used_as_complements() -> None:
    grid = [[0, 0, 25], [0, 12, 30], [6, 0, 40]]
    published, truth, equations = two_way(grid)
    assert_protected(published, truth, equations)
    zeros = [(f"r{i}", f"c{j}") for i, row in enumerate(grid) for j, v in enumerate(row) if v == 0]
    assert all(published[z] == 0 for z in zeros)


def test_cascading_complements() -> None:
    # hiding 5 needs complements in row r0 and column c0; those need more; r2 has a small cell too
    grid = [[5, 11, 200], [200, 200, 200], [3, 300, 300], [400, 15, 400]]
    published, truth, equations = two_way(grid)
    assert_protected(published, truth, equations)
    hidden = [c for c, v in published.items() if v is None]
    assert len(hidden) > 2  # more than the two primary cells


def test_everything_small_hides_everything_but_the_large_total() -> None:
    published, truth, equations = two_way([[1, 2], [3, 4]])
    assert_protected(published, truth, equations)
    assert published[(None, None)] == 10
    assert sum(v is None for v in published.values()) == 8


def test_a_province_is_protected_within_its_region_and_by_sex() -> None:
    """A hierarchy (national > region > province) crossed with sex: small province x sex cell."""
    rows = [
        ("R1", "P1", "F", 4),
        ("R1", "P1", "M", 30),
        ("R1", "P2", "F", 40),
        ("R1", "P2", "M", 50),
        ("R2", "P3", "F", 60),
        ("R2", "P3", "M", 70),
        ("R2", "P4", "F", 80),
        ("R2", "P4", "M", 90),
    ]
    frame = pl.DataFrame(rows, schema=["region", "province", "sex", "n"], orient="row")
    cells = suppressed_cells(frame, [("region", "province"), ("sex",)], "n")
    published = {(r, p, s): n for r, p, s, n in cells.select("region", "province", "sex", "n").rows()}
    provinces = {"R1": ["P1", "P2"], "R2": ["P3", "P4"]}
    truth: dict[Var, int] = {}
    for sex in ("F", "M", None):
        for region, members in provinces.items():
            for p in members:
                truth[(region, p, sex)] = sum(n for r, q, s, n in rows if q == p and sex in (None, s))
            truth[(region, None, sex)] = sum(truth[(region, p, sex)] for p in members)
        truth[(None, None, sex)] = sum(truth[(r, None, sex)] for r in provinces)
    equations: list[Equation] = []
    for sex in ("F", "M", None):
        equations.append(sum_equation((None, None, sex), [(r, None, sex) for r in provinces]))
        for region, members in provinces.items():
            equations.append(sum_equation((region, None, sex), [(region, p, sex) for p in members]))
    for key in {(r, p) for r, p, _ in truth}:
        equations.append(sum_equation((*key, None), [(*key, "F"), (*key, "M")]))
    assert_protected(published, truth, equations)
    assert published[("R1", "P1", "F")] is None


def test_an_unpublished_small_difference_is_protected() -> None:
    """Candidates and passed are shown, failed (= candidates - passed) is not: a small failed count
    must not be computable either."""
    frame = pl.DataFrame(
        [
            {"region": r, "outcome": o, "n": n}
            for r, passed, failed in (("R1", 45, 5), ("R2", 60, 40), ("R3", 70, 30))
            for o, n in (("passed", passed), ("failed", failed))
        ]
    )
    cells = suppressed_cells(
        frame,
        [("region",), ("outcome",)],
        "n",
        published=pl.col("outcome").is_null() | (pl.col("outcome") == "passed"),
    )
    shown = {(r, o): n for r, o, n in cells.select("region", "outcome", "n").rows()}
    assert all(o in (None, "passed") for _, o in shown)
    values: dict[Var, float | None] = dict(shown)
    for r in ("R1", "R2", "R3", None):
        values[(r, "failed")] = None  # not published: unknown to a reader
    equations = [sum_equation((r, None), [(r, "passed"), (r, "failed")]) for r in ("R1", "R2", "R3", None)]
    equations += [
        sum_equation((None, o), [(r, o) for r in ("R1", "R2", "R3")]) for o in (None, "passed", "failed")
    ]
    assert ("R1", "failed") not in recoverable(values, equations)
    assert values[("R1", None)] is None or values[("R1", "passed")] is None


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        suppressed_cells(pl.DataFrame({"r": ["a"], "n": [-1]}), [("r",)], "n")
    with pytest.raises(ValueError, match="null"):
        suppressed_cells(pl.DataFrame({"r": ["a", None], "n": [1, 2]}), [("r",)], "n")
    with pytest.raises(ValueError, match="missing"):
        suppressed_cells(pl.DataFrame({"r": ["a"], "n": [1]}), [("x",)], "n")


# --- the real store built by the pipeline ----------------------------------------------------------


@pytest.fixture(scope="module")
def stats(published_home: Path) -> dict[str, pl.DataFrame]:
    path = published_store(published_home, "public_stats.duckdb")
    assert path.exists(), "publish did not build the public statistics store"
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            name: con.sql(f"select * from stats.{name}").pl()
            for name in ("pupils", "exam_results", "attendance", "about")
        }


def _sql(published_db: Path, sql: str, params: list[object] | None = None) -> pl.DataFrame:
    with duckdb.connect(str(published_db), read_only=True) as con:
        return con.sql(sql, params=params or []).pl()


def test_store_holds_only_the_public_tables(published_home: Path) -> None:
    with duckdb.connect(str(published_store(published_home, "public_stats.duckdb")), read_only=True) as con:
        tables = {
            (s, n)
            for s, n in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        columns = {
            c
            for (c,) in con.execute("select distinct column_name from information_schema.columns").fetchall()
        }
    assert tables == {("stats", n) for n in ("pupils", "exam_results", "attendance", "about")}
    assert not columns & {"student_code", "student_key", "first_name_fr", "secret_hash", "school_code"}


def test_no_published_cell_is_small(stats: dict[str, pl.DataFrame]) -> None:
    assert stats["about"]["threshold"][0] == THRESHOLD
    counts = {
        "pupils": ["pupils"],
        "exam_results": ["candidates", "passed"],
        "attendance": ["pupils_classified", "chronically_absent"],
    }
    hidden = 0
    for table, columns in counts.items():
        frame = stats[table]
        for column in columns:
            small = frame.filter((pl.col(column) > 0) & (pl.col(column) < THRESHOLD))
            assert small.is_empty(), (table, column, small.head())
            hidden += frame[column].null_count()
    assert hidden > 0  # the tiny test country has small cells: the check is not vacuous
    exams = stats["exam_results"].filter(pl.col("candidates").is_not_null() & pl.col("passed").is_not_null())
    failed = exams["candidates"] - exams["passed"]
    assert not ((failed > 0) & (failed < THRESHOLD)).any()
    # a rate is shown only with both its counts
    assert (
        stats["exam_results"]
        .filter(pl.col("pass_rate").is_not_null() & pl.col("passed").is_null())
        .is_empty()
    )
    assert (
        stats["exam_results"]
        .filter(pl.col("pass_rate").is_not_null() & pl.col("candidates").is_null())
        .is_empty()
    )
    att = stats["attendance"]
    assert att.filter(
        pl.col("chronic_absence_rate").is_not_null() & pl.col("chronically_absent").is_null()
    ).is_empty()
    assert att.filter(
        pl.col("attendance_rate").is_not_null() & pl.col("pupils_classified").is_null()
    ).is_empty()


def test_no_hidden_pupil_count_can_be_recovered(stats: dict[str, pl.DataFrame], published_db: Path) -> None:
    """Every row and column of the pupils tables (region x cycle per sex, province x cycle per region,
    their totals), and all of them together with the province x sex cells a reader does not see."""
    for year, frame in stats["pupils"].partition_by("school_year", as_dict=True).items():
        store = {
            (r, p, c, s): n
            for r, p, c, s, n in frame.select(
                "region_code", "province_code", "cycle_code", "sex", "pupils"
            ).rows()
        }
        regions = sorted({r for r, *_ in store if r is not None})
        provinces = {r: sorted({p for q, p, *_ in store if q == r and p is not None}) for r in regions}
        cycles = sorted({c for _, _, c, _ in store if c is not None})
        truth_rows = _sql(
            published_db,
            "select region_code, province_code, cycle_code, sex, sum(pupils) as n"
            " from serving.public_pupils where school_year = ? group by all",
            [year[0]],
        ).rows()
        truth = {(r, p, c, s): n for r, p, c, s, n in truth_rows}
        values: dict[Var, float | None] = {}
        for r in [None, *regions]:
            for p in [None] if r is None else [None, *provinces[r]]:
                for c in [None, *cycles]:
                    for s in (None, "F", "M"):
                        key = (r, p, c, s)
                        if p is not None and s is not None:  # not published: unknown unless zero
                            total = store.get((r, p, c, None), 0)
                            values[key] = 0 if total == 0 else None
                        else:  # published: its value, None when hidden; absent from the store = zero
                            values[key] = store.get(key, 0)
        equations: list[Equation] = []
        for key in values:
            r, p, c, s = key
            if s is None:
                equations.append(sum_equation(key, [(r, p, c, "F"), (r, p, c, "M")]))
            if c is None:
                equations.append(sum_equation(key, [(r, p, cc, s) for cc in cycles]))
            if r is None:
                equations.append(sum_equation(key, [(rr, None, c, s) for rr in regions]))
            elif p is None:
                equations.append(sum_equation(key, [(r, pp, c, s) for pp in provinces[r]]))
        # the literal rule: no row or column of a table shown on the page holds exactly one hidden cell
        shown_lines = [eq for eq in equations if all(v[1] is None or v[3] is None for v, _ in eq)]
        assert all(sum(values[v] is None for v, _ in eq) != 1 for eq in shown_lines)
        fixed = recoverable(values, equations)
        hidden_published = {k for k in fixed if k in store}
        assert not hidden_published, sorted(hidden_published, key=str)[:5]
        # and no small count a reader does not see (province x sex) can be computed
        small_unseen = {k for k in fixed if k not in store and 0 < _truth_of(k, truth, cycles) < THRESHOLD}
        assert not small_unseen, sorted(small_unseen, key=str)[:5]


def _truth_of(
    key: tuple[str | None, str | None, str | None, str | None], truth: dict, cycles: list[str]
) -> int:
    r, p, c, s = key
    return sum(
        n
        for (tr, tp, tc, ts), n in truth.items()
        if (r is None or tr == r)
        and (p is None or tp == p)
        and (c is None or tc == c)
        and (s is None or ts == s)
    )


def _exam_system(
    rows: dict[tuple[str | None, str | None], tuple[int, int]], regions: list[str]
) -> tuple[dict[Var, float | None], list[Equation]]:
    """What an attacker knows of one exam table: the published ``(candidates, passed)`` per (region,
    sex), totals as None, a hidden cell None and an absent one 0; failed = candidates - passed is never
    shown. The equations: candidates = passed + failed per cell, and the sums over sexes and regions."""
    values: dict[Var, float | None] = {}
    for r in [None, *regions]:
        for s in (None, "F", "M"):
            candidates, passed = rows.get((r, s), (0, 0))
            values[(r, s, "all")] = candidates
            values[(r, s, "passed")] = passed
            values[(r, s, "failed")] = 0 if (r, s) not in rows else None
    equations = [
        sum_equation((r, s, "all"), [(r, s, "passed"), (r, s, "failed")])
        for r in [None, *regions]
        for s in (None, "F", "M")
    ]
    for o in ("all", "passed", "failed"):
        for r in [None, *regions]:
            equations.append(sum_equation((r, None, o), [(r, "F", o), (r, "M", o)]))
        for s in (None, "F", "M"):
            equations.append(sum_equation((None, s, o), [(r, s, o) for r in regions]))
    return values, equations


def test_no_hidden_exam_or_attendance_count_can_be_recovered(
    stats: dict[str, pl.DataFrame], published_db: Path
) -> None:
    exams = stats["exam_results"]
    for (year, certificate), frame in exams.partition_by(
        "school_year", "certificate_code", as_dict=True
    ).items():
        rows = {
            (r, s): (n, p) for r, s, n, p in frame.select("region_code", "sex", "candidates", "passed").rows()
        }
        regions = sorted({r for r, _ in rows if r is not None})
        values, equations = _exam_system(rows, regions)
        fixed = recoverable(values, equations)
        truth = _sql(
            published_db,
            "select region_code, sex, candidates - passed as failed, candidates, passed"
            " from serving.public_exam_results where school_year = ? and certificate_code = ?",
            [year, certificate],
        )
        small_failed = {(r, s, "failed") for r, s, f, _, _ in truth.rows() if 0 < f < THRESHOLD}
        assert not fixed & small_failed
        hidden = {k for k, v in values.items() if v is None and k[2] != "failed"}
        assert not fixed & hidden
    att = stats["attendance"]
    for _, frame in att.partition_by("school_year", as_dict=True).items():
        rows = {
            r: (n, c)
            for r, n, c in frame.select("region_code", "pupils_classified", "chronically_absent").rows()
        }
        regions = sorted(r for r in rows if r is not None)
        values = {}
        for r in [None, *regions]:
            values[(r, "all")], values[(r, "chronic")] = rows[r]
            values[(r, "other")] = None
        equations = [sum_equation((r, "all"), [(r, "chronic"), (r, "other")]) for r in [None, *regions]]
        equations += [sum_equation((None, o), [(r, o) for r in regions]) for o in ("all", "chronic", "other")]
        fixed = recoverable(values, equations)
        assert not {k for k in fixed if k[1] != "other"}


def test_published_figures_match_the_marts(stats: dict[str, pl.DataFrame], published_db: Path) -> None:
    """Every figure that is shown equals independent SQL on the marts (not on the serving models)."""
    by_region = _sql(
        published_db,
        "select school_year, region_code, cycle_code, sex, sum(pupils) as n"
        " from marts.agg_enrollment_by_region group by grouping sets ("
        " (school_year, region_code, cycle_code, sex), (school_year, region_code, cycle_code),"
        " (school_year, region_code, sex), (school_year, region_code), (school_year, cycle_code, sex),"
        " (school_year, cycle_code), (school_year, sex), (school_year))",
    )
    expected = {tuple(r[:-1]): r[-1] for r in by_region.rows()}
    shown = stats["pupils"].filter(pl.col("province_code").is_null(), pl.col("pupils").is_not_null())
    assert shown.height > 0
    for y, r, c, s, n in shown.select("school_year", "region_code", "cycle_code", "sex", "pupils").rows():
        assert expected[(y, r, c, s)] == n, (y, r, c, s)
    by_province = _sql(
        published_db,
        "select school_year, province_code, cycle_code, count(*) as n from marts.fct_enrollment "
        "group by grouping sets ((school_year, province_code, cycle_code), (school_year, province_code))",
    )
    expected = {tuple(r[:-1]): r[-1] for r in by_province.rows()}
    shown = stats["pupils"].filter(pl.col("province_code").is_not_null(), pl.col("pupils").is_not_null())
    for y, p, c, n in shown.select("school_year", "province_code", "cycle_code", "pupils").rows():
        assert expected.get((y, p, c), 0) == n, (y, p, c)
    exams = _sql(
        published_db,
        "select school_year, certificate_code, region_code, sex, sum(candidates_complete)::bigint,"
        " sum(passed)::bigint from marts.agg_exam_results group by grouping sets ("
        " (school_year, certificate_code, region_code, sex),"
        " (school_year, certificate_code, region_code), (school_year, certificate_code, sex),"
        " (school_year, certificate_code))",
    )
    expected = {tuple(r[:4]): r[4:] for r in exams.rows()}
    for y, k, r, s, n, p, rate in (
        stats["exam_results"]
        .select("school_year", "certificate_code", "region_code", "sex", "candidates", "passed", "pass_rate")
        .rows()
    ):
        candidates, passed = expected[(y, k, r, s)]
        assert n is None or n == candidates
        assert p is None or p == passed
        assert rate is None or rate == pytest.approx(passed / candidates)
    attendance = _sql(
        published_db,
        "select school_year, region_code, sum(pupils_classified), sum(chronically_absent),"
        " 1 - sum(absent_days) / sum(enrolled_school_days) from marts.agg_attendance"
        " group by grouping sets ((school_year, region_code), (school_year))",
    )
    expected = {tuple(r[:2]): r[2:] for r in attendance.rows()}
    for y, r, n, c, rate in (
        stats["attendance"]
        .select("school_year", "region_code", "pupils_classified", "chronically_absent", "attendance_rate")
        .rows()
    ):
        classified, chronic, attendance_rate = expected[(y, r)]
        assert n is None or n == classified
        assert c is None or c == chronic
        assert rate is None or rate == pytest.approx(attendance_rate)


# --- the page ---------------------------------------------------------------------------------------


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_public_statistics_page(
    lang: str, published_home: Path, published_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(published_home))
    at = AppTest.from_file(str(PUBLIC_APP), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(STATS_PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("public_stats.title", lang)
    mark = t("public_stats.suppressed_mark", lang)
    rule = t("public_stats.rule", lang, threshold=THRESHOLD, threshold_minus_one=THRESHOLD - 1, mark=mark)
    assert rule in [m.value for m in at.markdown]
    assert [s.value for s in at.subheader] == [
        t(f"public_stats.{k}", lang)
        for k in ("pupils_by_region", "pupils_by_province", "exams", "attendance")
    ]

    year = _sql(published_db, "select max(school_year) from marts.fct_enrollment").item()
    names = dict(_sql(published_db, f"select region_code, name_{lang} from reference.code_regions").rows())
    code_of = {v: k for k, v in names.items()}
    pupils = dict(
        _sql(
            published_db,
            "select region_code, sum(pupils) from marts.agg_enrollment_by_region"
            " where school_year = ? group by 1",
            [year],
        ).rows()
    )
    table = at.table[0].value
    region_col, total_col = table.columns[0], table.columns[-1]
    assert total_col == t("public_stats.total", lang)
    shown = 0
    for name, value in zip(table[region_col], table[total_col], strict=True):
        expected = sum(pupils.values()) if name == t("public_stats.national", lang) else pupils[code_of[name]]
        if value != mark:
            assert _number(value) == expected, name
            shown += 1
    assert shown >= 1
    assert table[region_col].iloc[-1] == t("public_stats.national", lang)
    # every shown cell of the table is 0 or at least the threshold
    for column in table.columns[1:]:
        for value in table[column]:
            assert value == mark or _number(value) == 0 or _number(value) >= THRESHOLD

    # attendance: classified pupils per region against the mart
    classified = dict(
        _sql(
            published_db,
            "select region_code, sum(pupils_classified) from marts.agg_attendance"
            " where school_year = ? group by 1",
            [year],
        ).rows()
    )
    attendance = at.table[-1].value
    column = t("public_stats.col.pupils_classified", lang)
    for name, value in zip(attendance[attendance.columns[0]], attendance[column], strict=True):
        expected = (
            sum(classified.values())
            if name == t("public_stats.national", lang)
            else classified[code_of[name]]
        )
        assert value == mark or _number(value) == expected, name


def test_a_store_opened_after_a_publish_reads_the_new_file(tmp_path: Path) -> None:
    """The page keeps one store per version of the file; publishing replaces the file by a rename. A store
    opened on the new file while the previous one is still open must read the new figures (DuckDB
    shares one database instance per path in a process: opening the path again returned the old file)."""
    from dashboards.public.stats_store import PublicStatsStore

    path = tmp_path / "public_stats.duckdb"

    def write(target: Path, threshold: int) -> None:
        with duckdb.connect(str(target)) as con:
            con.execute("create schema stats")
            con.execute("create table stats.about as select ?::integer as threshold", [threshold])

    write(path, 10)
    old = PublicStatsStore(path)
    assert old.threshold() == 10
    write(tmp_path / "next.duckdb", 11)
    (tmp_path / "next.duckdb").replace(path)  # the publish's atomic rename
    new = PublicStatsStore(path)
    try:
        assert new.threshold() == 11
        assert old.threshold() == 10  # a reader of the old version keeps a whole, consistent file
    finally:
        new.close()
        old.close()


def test_exam_results_hide_no_more_than_the_rule_requires(
    stats: dict[str, pl.DataFrame], published_db: Path
) -> None:
    """Minimality: every hidden exam count is small (0 < n < 10) or needed, i.e. publishing it alone
    would let a small count (shown or not: failed = candidates - passed) be computed, by the independent
    checker. And the national and regional pass rates whose counts are not small are published."""
    national = 0
    for (year, certificate), frame in (
        stats["exam_results"].partition_by("school_year", "certificate_code", as_dict=True).items()
    ):
        rows = {
            (r, s): (n, p) for r, s, n, p in frame.select("region_code", "sex", "candidates", "passed").rows()
        }
        truth_rows = _sql(
            published_db,
            "select region_code, sex, candidates, passed from serving.public_exam_results"
            " where school_year = ? and certificate_code = ?",
            [year, certificate],
        ).rows()
        regions = sorted({r for r, *_ in truth_rows})
        truth: dict[Var, int] = {}
        for r in [None, *regions]:
            for s in (None, "F", "M"):
                part = [(n, p) for q, x, n, p in truth_rows if r in (None, q) and s in (None, x)]
                n, p = sum(n for n, _ in part), sum(p for _, p in part)
                truth |= {(r, s, "all"): n, (r, s, "passed"): p, (r, s, "failed"): n - p}
        values, equations = _exam_system(rows, regions)
        small = {k for k, v in truth.items() if 0 < v < THRESHOLD}
        for cell, value in values.items():
            if value is not None or cell[2] == "failed" or cell in small:
                continue
            released = recoverable({**values, cell: truth[cell]}, equations)
            assert released & small, f"{year} {certificate}: {cell} is hidden but protects no small count"
        # the national pass rate is published when its counts are not small (a hidden regional rate is a
        # hidden count above: small or needed)
        counts = [truth[(None, None, o)] for o in ("all", "passed", "failed")]
        if counts[0] >= THRESHOLD and not any(0 < v < THRESHOLD for v in counts):
            rate = frame.filter(pl.col("region_code").is_null(), pl.col("sex").is_null())["pass_rate"]
            assert rate.item() == pytest.approx(counts[1] / counts[0]), (year, certificate)
            national += 1
    assert national > 0, "no national pass rate to check: the test country is too small"
