"""Parent lookup serving query: p50/p99 latency at national-like scale.

Builds a serving store of N pupils (default 1,000,000) with the same schema as the real one (the
per-subject tables, then the one-row-per-pupil ``lookup.card`` built by ``warehouse.serving``), then times
full lookups (guard check, secret-hash query, slow-hash verification, card query, audit) for known codes
with the right secret, known codes with a wrong secret and unknown codes. ``time_lookups`` is also used
by ``benchmarks/run.py`` against the real store built by the pipeline.

It also times the card read alone two ways, interleaved so that machine load hits both alike: the
one-row ``lookup.card`` read the app uses, and six per-table queries (one per serving table).

    .venv/bin/python benchmarks/bench_lookup.py --pupils 1000000 --lookups 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from lookup_fixtures import DDL, encode

from dashboards.public.guard import Guard
from dashboards.public.lookup import lookup
from dashboards.public.store import ServingStore
from warehouse.serving import TABLES, build_card_table

SECRET = "bench-secret"


def build(path: Path, pupils: int, key: bytes | None = None) -> None:
    """A store of ``pupils`` pupils, all with the secret ``SECRET`` (its MAC per pupil code, under ``key``
    or the current home's lookup key)."""
    codes = [f"M{i:09d}" for i in range(pupils)]
    macs = pl.DataFrame({"i": range(pupils), "mac": [encode(SECRET, code, key) for code in codes]})
    with duckdb.connect(str(path)) as con:
        con.execute(DDL)
        con.register("macs", macs)
        con.execute(
            """
            insert into lookup.pupil
            select printf('M%09d', i), mac, '2024-2025', 'Prénom', 'Nom', 'الاسم', 'النسب',
                   printf('%05dA', i % 9000), 'Ecole', 'مدرسة', '1AC', '1ère année collège',
                   'السنة الأولى إعدادي', printf('%05dA-1AC-01', i % 9000), 12.5, 'promote', 'Admis(e)',
                   'ناجح(ة)'
            from macs order by i
            """
        )
        con.unregister("macs")
        con.execute(
            """
            insert into lookup.subject_result
            select printf('M%09d', i), s, subject, subject, subject, 11.0, 3, 30
            from range(?) t(i), (values (1), (2)) sem(s),
                (values ('MATH'), ('AR'), ('FR'), ('SVT')) sub(subject)
            """,
            [pupils],
        )
        con.execute(
            "insert into lookup.absence "
            "select printf('M%09d', i), date '2024-10-01' + (i % 30)::int, 2, false from range(?) t(i)",
            [pupils],
        )
        con.execute(
            "insert into lookup.timetable select printf('M%09d', i), d, s, 'Maths', 'رياضيات' "
            "from range(?) t(i), range(1, 6) dd(d), range(1, 7) ss(s)",
            [pupils],
        )
        con.execute(  # one pupil in ten sits a certificate exam: 8 papers
            "insert into lookup.exam select printf('M%09d', i), '3AC_REG', 'Examen régional',"
            " 'الامتحان الجهوي', 'normal', 'MATH', 'Maths', 'رياضيات', 12.0"
            " from range(0, ?, 10) t(i), range(8) p(k)",
            [pupils],
        )
        con.execute(  # the class's unified tests: 8 subjects x 2 semesters
            "insert into lookup.exam_calendar select printf('M%09d', i), date '2025-01-06' + (k * 7)::int,"
            " 'unified', 'UNI', 'Contrôle unifié', 'الفرض الموحد', null, 1 + k // 8, 'MATH', 'Maths',"
            " 'رياضيات' from range(?) t(i), range(16) p(k)",
            [pupils],
        )
        for table in TABLES:
            con.execute(f"create index {table}_code on lookup.{table} (student_code)")
        build_card_table(con)


_PER_TABLE = (  # the card as it was read before lookup.card: one query per table
    "select * exclude (secret_hash) from store.lookup.pupil where student_code = ?",
    "select * exclude (student_code) from store.lookup.subject_result where student_code = ? "
    "order by semester",
    "select * exclude (student_code) from store.lookup.absence where student_code = ? order by absence_date",
    "select * exclude (student_code) from store.lookup.timetable where student_code = ? order by weekday",
    "select * exclude (student_code) from store.lookup.exam where student_code = ? order by exam_code",
    "select * exclude (student_code) from store.lookup.exam_calendar where student_code = ? "
    "order by exam_date",
)


def compare_card_reads(store: ServingStore, codes: list[str]) -> dict[str, list[float]]:
    """Card read alone (ms): ``lookup.card`` (one query) vs the six per-table queries, interleaved."""
    times: dict[str, list[float]] = {"card table (1 query)": [], "per-table (6 queries)": []}
    con = store._con  # the same connection as the store
    for code in codes:
        t0 = time.perf_counter()
        store.card(code)
        times["card table (1 query)"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for sql in _PER_TABLE:
            cursor = con.cursor()
            cursor.execute(sql, [code])
            columns = [d[0] for d in cursor.description]
            pl.DataFrame(cursor.fetchall(), schema=columns, orient="row")
            cursor.close()
        times["per-table (6 queries)"].append((time.perf_counter() - t0) * 1000)
    return times


def time_serving_queries(
    store: ServingStore, codes: list[str], rng: random.Random
) -> dict[str, dict[str, float]]:
    """The serving query alone (ms), without the guard's SQLite store and the slow hash: for a known code,
    the secret-hash read then the card read (what a right secret costs the store); for an unknown code,
    the secret-hash read. Interleaved, one of each per code."""
    times: dict[str, list[float]] = {"known code (hash + card)": [], "unknown code (hash)": []}
    for code in codes:
        t0 = time.perf_counter()
        assert store.secret_hash(code) is not None and store.card(code) is not None
        times["known code (hash + card)"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        store.secret_hash(f"Z{rng.randrange(10**9):09d}")
        times["unknown code (hash)"].append((time.perf_counter() - t0) * 1000)
    return {
        kind: {"n": len(v), "p50_ms": round(statistics.median(v), 3), "p99_ms": round(percentile(v, 0.99), 3)}
        for kind, v in times.items()
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_lookups(
    store: ServingStore, state: Path, pairs: list[tuple[str, str]], rng: random.Random
) -> dict[str, dict[str, float | int]]:
    """Full lookups for known codes with their right secret, the same codes with a wrong secret, and
    unknown codes: p50/p99 (ms) and outcomes per kind. ``pairs`` = (student code, right secret).
    The three kinds are interleaved (one of each per pair), so that changes in machine load hit them alike."""
    ticks = iter(range(1, 10**9))
    guard = Guard(state, clock=lambda: next(ticks) * 1_000.0)  # far apart: no throttling or lockout
    kinds = ("right secret", "wrong secret", "unknown code")
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    ok = dict.fromkeys(kinds, 0)
    for known, right in pairs:
        for kind in kinds:
            code = f"Z{rng.randrange(10**9):09d}" if kind == "unknown code" else known
            secret = "nope-" + right if kind == "wrong secret" else right
            t0 = time.perf_counter()
            result = lookup(code, secret, "bench", store, guard)
            times[kind].append((time.perf_counter() - t0) * 1000)
            ok[kind] += result.outcome == "ok"
    return {
        kind: {
            "n": len(times[kind]),
            "ok": ok[kind],
            "p50_ms": round(statistics.median(times[kind]), 3) if times[kind] else float("nan"),
            "p99_ms": round(percentile(times[kind], 0.99), 3) if times[kind] else float("nan"),
        }
        for kind in kinds
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--store", type=Path, help="keep the built store here and reuse it when it exists")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "parent_lookup.duckdb"
        if path.exists():
            print(f"reusing the serving store {path}")
        else:
            started = time.perf_counter()
            build(path, args.pupils)
            print(f"built serving store of {args.pupils:,} pupils in {time.perf_counter() - started:.1f} s")
        rng = random.Random(1)
        codes = [f"M{rng.randrange(args.pupils):09d}" for _ in range(args.lookups)]
        store = ServingStore(path)
        figures = time_lookups(store, Path(tmp) / "state.sqlite", [(c, SECRET) for c in codes], rng)
        for kind, f in figures.items():
            print(
                f"{kind:>13}: p50 {f['p50_ms']:6.2f} ms  p99 {f['p99_ms']:6.2f} ms  (ok {f['ok']}/{f['n']})"
            )
        print("serving query alone (store reads, no guard, no slow hash):")
        for kind, f in time_serving_queries(store, codes, rng).items():
            print(f"{kind:>26}: p50 {f['p50_ms']:6.2f} ms  p99 {f['p99_ms']:6.2f} ms  (n {f['n']})")
        print("card read alone, interleaved:")
        for kind, times in compare_card_reads(store, codes).items():
            print(
                f"{kind:>22}: p50 {statistics.median(times):6.2f} ms  p99 {percentile(times, 0.99):6.2f} ms"
            )


if __name__ == "__main__":
    main()
