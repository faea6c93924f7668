"""The flow indicators against an independent, ID-based computation from the raw CSV exports.

The session pipeline (tests/conftest.py: three school years, faults injected) is read back from its export
files with plain Python: every enrollment line of every school year (full exports and daily drops), the
deletion files, and the generator's fault list (``<year>/faults.csv``, ground truth of which line is
faulty). Nothing of ingestion/ or dbt/ is used, only the contract's header aliases, the fault classes'
declared outcomes and the ``levels`` seed.

- accepted records: clean lines, minus the keys listed in a deletion file;
- lost records: faulty lines (each is quarantined), and deleted keys. A lost record traces its pupil in a
  year only when its student code and school year can be read (non-blank code, YYYY-YYYY year of a loaded
  year);
- the pupil-year's last stay (school, level, how it ended) from the accepted movements: an ``in`` movement
  opens a stay, the first ``out`` movement of the same school on or after it (before the school's next
  opening) closes it; an ``out`` movement closing nothing is a stay starting on its date; the last stay
  starts last (ties: open first, later exit, higher school code);
- flow from t to t+1: promoted / repeated (accepted record in t+1, higher / same or lower level); else
  not_traced (a lost record in t+1, or any record in a later year: a revised dropout when nothing at all
  in t+1); else transferred_out (transfer out), completed (final level, no exit), dropped_out;
- true-cohort survival: first-time entrants in the first grade of a cycle (no accepted record in that grade
  in an earlier year), share seen in grade k in that year or later; null when k - 1 > years observed.

The marts must agree exactly, pupil by pupil (fct_enrollment joined to the restricted identity table) and
count by count (agg_flow_rates, agg_survival national rows); no lost record may be counted as a dropout.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.codelists import read_seed
from ingestion.contracts import CONTRACTS
from synthetic.faults import REGISTRY

YEAR_RE = re.compile(r"^[0-9]{4}-[0-9]{4}$")
IN_EVENTS = ("entry", "re_enrollment", "transfer_in")
OUT_EVENTS = ("transfer_out", "dropout")
#: outcomes of fault classes that leave the line's rows in the lake
KEPT_OUTCOMES = ("read_ok", "superseded", "deleted")


@dataclass(frozen=True)
class Move:
    school: str
    level: str
    event: str
    day: date


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1256")


def _day(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _lines(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, canonical column -> text) of a CSV export; the header is line 1."""
    alias = {a: c.name for c in CONTRACTS["enrollments"].columns for a in c.aliases}
    rows = list(csv.reader(io.StringIO(_decode(path.read_bytes())), delimiter=";"))
    header = [alias.get(h.strip(), h.strip()) for h in rows[0]]
    return [(n, dict(zip(header, r, strict=False))) for n, r in enumerate(rows[1:], start=2) if r]


def _read_exports(exports: Path) -> tuple[list[str], dict, set]:
    """Loaded years; accepted movements per (student code, year); lost pupil-years (code, year)."""
    years = sorted(p.name for p in exports.iterdir() if (p / "manifest.json").exists())
    accepted: dict[tuple, Move] = {}
    lost: set[tuple[str, str]] = set()
    deleted: list[tuple] = []
    for year in years:
        faulty: dict[tuple[str, int], str] = {}
        with (exports / year / "faults.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter=";"):
                faulty[(row["path"], int(row["line"]))] = row["fault_class"]
        for path in sorted((exports / year).glob("*/enrollments*.csv")):
            relative = path.relative_to(exports).as_posix()
            is_deletion = path.name.endswith("__deleted.csv")
            for n, r in _lines(path):
                code = (r.get("student_code") or "").strip()
                school_year = (r.get("school_year") or "").strip()
                key = (
                    school_year,
                    code,
                    (r.get("school_code") or "").strip(),
                    r.get("event_type"),
                    r.get("event_date"),
                )
                fault = faulty.get((relative, n))
                if is_deletion:
                    deleted.append(key)
                elif fault is None or REGISTRY[fault].outcome in KEPT_OUTCOMES:
                    accepted[key] = Move(
                        key[2], (r.get("level_code") or "").strip(), key[3], _day(key[4] or "")
                    )
                else:  # quarantined: traces its pupil only if its code and year can be read
                    lost.add((code, school_year))
    for key in deleted:
        accepted.pop(key, None)
        lost.add((key[1], key[0]))
    lost = {(c, y) for c, y in lost if c and YEAR_RE.match(y) and y in years}
    moves: dict[tuple[str, str], list[Move]] = defaultdict(list)
    for (school_year, code, *_), move in accepted.items():
        moves[(code, school_year)].append(move)
    return years, moves, lost


def _last_stay(moves: list[Move]) -> tuple[str, str, str | None]:
    """(school, level, exit event or None) of the stay that starts last."""
    stays = []  # (start, is_open, exit day, school, level, exit event)
    closed: set[int] = set()
    by_school: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(moves):
        by_school[m.school].append(i)
    for school, idx in by_school.items():
        ins = sorted(
            (i for i in idx if moves[i].event in IN_EVENTS), key=lambda i: (moves[i].day, moves[i].event)
        )
        outs = sorted(
            (i for i in idx if moves[i].event in OUT_EVENTS), key=lambda i: (moves[i].day, moves[i].event)
        )
        for k, i in enumerate(ins):
            nxt = moves[ins[k + 1]].day if k + 1 < len(ins) else None
            close = next(
                (j for j in outs if moves[j].day >= moves[i].day and (nxt is None or nxt > moves[j].day)),
                None,
            )
            if close is not None:
                closed.add(close)
            exit_move = moves[close] if close is not None else None
            stays.append(
                (moves[i].day, exit_move is None, exit_move.day if exit_move else date.max, school,
                 moves[i].level, exit_move.event if exit_move else None)
            )  # fmt: skip
        for j in outs:
            if j not in closed:
                stays.append((moves[j].day, False, moves[j].day, school, moves[j].level, moves[j].event))
    _, _, _, school, level, exit_event = max(stays, key=lambda s: (s[0], s[1], s[2], s[3]))
    return school, level, exit_event


def _oracle(exports: Path) -> tuple[dict, list[tuple]]:
    """Per (student code, year): (level, flow, revised); and the national true-cohort survival rows."""
    years, moves, lost = _read_exports(exports)
    levels = {r["level_code"]: r for r in read_seed("code_levels")}
    start = {y: int(y[:4]) for y in years}
    level_of = {key: _last_stay(m)[1:] for key, m in moves.items()}
    traced: dict[str, set[int]] = defaultdict(set)
    for code, year in [*level_of, *lost]:
        traced[code].add(start[year])
    last = max(start.values())
    flows = {}
    for (code, year), (level, exit_event) in level_of.items():
        t = start[year]
        following = next((y for y in years if start[y] == t + 1), None)
        later = {s for s in traced[code] if s > t}
        revised = False
        if t == last:
            flow = None
        elif following is not None and (code, following) in level_of:
            order = int(levels[level_of[(code, following)][0]]["level_order"])
            flow = "promoted" if order > int(levels[level]["level_order"]) else "repeated"
        elif later:
            flow, revised = "not_traced", (t + 1) not in later
        elif exit_event == "transfer_out":
            flow = "transferred_out"
        elif not levels[level]["next_level_code"] and exit_event is None:
            flow = "completed"
        else:
            flow = "dropped_out"
        flows[(code, year)] = (level, flow, revised)

    survival = []
    seen: dict[str, set[tuple[int, str]]] = defaultdict(set)  # code -> (start year, level)
    for (code, year), (level, _) in level_of.items():
        seen[code].add((start[year], level))
    for year in years:
        t = start[year]
        for cycle in sorted({r["cycle_code"] for r in levels.values()}):
            grades = {c: int(r["grade_in_cycle"]) for c, r in levels.items() if r["cycle_code"] == cycle}
            first = next(c for c, g in grades.items() if g == 1)
            # first-time entrants: in the first grade in t, never in it before (whatever their status)
            cohort = {
                code
                for (code, y), (level, _) in level_of.items()
                if y == year and level == first and min(s for s, lvl in seen[code] if lvl == first) == t
            }
            if not cohort:
                continue
            for level, grade in grades.items():
                reached = sum(1 for c in cohort if any(s >= t and lvl == level for s, lvl in seen[c]))
                rate = round(reached / len(cohort), 6) if last - t >= grade - 1 else None
                survival.append((year, level, len(cohort), reached, rate))
    return flows, sorted(survival)


@pytest.fixture(scope="module")
def oracle(pipeline_home: Path) -> tuple[dict, list[tuple]]:
    return _oracle(pipeline_home / "exports")


def _sql(db: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _student_key(code: str) -> str:
    """The published warehouse's pseudonymous key of a pupil code, computed here from the home's pseudonym
    key (the marts hold no pupil code: the identity stays in the restricted file)."""
    from massar.settings.keys import server_key

    return hashlib.sha256(server_key("pseudonym") + code.encode()).hexdigest()[:16]


def test_flows_pupil_by_pupil(published_db: Path, oracle: tuple[dict, list[tuple]]) -> None:
    flows, _ = oracle
    flows = {(_student_key(code), year): v for (code, year), v in flows.items()}
    got = {
        (key, year): (level, flow, revised)
        for key, year, level, flow, revised in _sql(
            published_db,
            "select student_key, school_year, level_code, next_year_flow, is_dropout_revised"
            " from marts.fct_enrollment",
        )
    }
    assert len({y for _, y in flows}) == 3, "the session pipeline has three school years"
    wrong = {k: (got.get(k), v) for k, v in flows.items() if got.get(k) != v}
    extra = set(got) - set(flows)
    assert not wrong and not extra, (list(wrong.items())[:10], list(extra)[:10])


def test_flow_counts_and_rates(published_db: Path, oracle: tuple[dict, list[tuple]]) -> None:
    flows, _ = oracle
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (_, year), (level, flow, revised) in flows.items():
        if flow is None:
            continue
        c = counts[(year, level)]
        c["pupils"] += 1
        c[flow] += 1
        c["dropout_revised"] += revised
    names = ["pupils", "promoted", "repeated", "dropped_out", "transferred_out", "completed", "not_traced",
             "dropout_revised"]  # fmt: skip
    want = {k: tuple(v[n] for n in names) for k, v in counts.items()}
    rows = _sql(
        published_db,
        f"select school_year, level_code, {', '.join(f'sum({n})::bigint' for n in names)},"
        " sum(rate_base)::bigint from marts.agg_flow_rates group by all",
    )
    got = {(y, lvl): tuple(r[:-1]) for y, lvl, *r in rows}
    assert got == want
    for _, _, pupils, promoted, repeated, dropped, transferred, completed, not_traced, _, base in rows:
        # the base leaves out transfers and untraced pupils; the four outcomes add up to it (rates sum to 1)
        assert base == pupils - transferred - not_traced == promoted + repeated + dropped + completed


def test_no_lost_record_counted_as_dropout(pipeline_home: Path, published_db: Path) -> None:
    _, _, lost = _read_exports(pipeline_home / "exports")
    dropouts = _sql(
        published_db,
        "select student_key, cast(left(school_year, 4) as int) + 1 from marts.fct_enrollment"
        " where next_year_flow = 'dropped_out'",
    )
    lost_next = {(_student_key(code), int(year[:4])) for code, year in lost}
    assert not [d for d in dropouts if tuple(d) in lost_next]


def test_true_cohort_survival(published_db: Path, oracle: tuple[dict, list[tuple]]) -> None:
    _, want = oracle
    got = _sql(
        published_db,
        "select school_year, level_code, cohort_size, cohort_reached, true_cohort_survival_rate"
        " from marts.agg_survival where territory_level = 'national' order by all",
    )
    assert sorted(tuple(r) for r in got) == want
