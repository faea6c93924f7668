"""Parent lookup serving query: p50/p99 latency at national-like scale.

Builds a serving store of N pupils (default 1,000,000) with the same schema as the real one, then times
full lookups (guard check, store query, slow-hash verification, card queries, audit) for known codes with
the right secret, known codes with a wrong secret and unknown codes.

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from lookup_fixtures import DDL, encode

from dashboards.public.guard import Guard
from dashboards.public.lookup import lookup
from dashboards.public.store import ServingStore

SECRET = "bench-secret"


def build(path: Path, pupils: int) -> None:
    hashed = encode(SECRET, "bench")  # one hash for all: building a million slow hashes is not the point
    with duckdb.connect(str(path)) as con:
        con.execute(DDL)
        con.execute(
            """
            insert into lookup.pupil
            select printf('M%09d', i), ?, '2024-2025', 'Prénom', 'Nom', 'الاسم', 'النسب',
                   printf('%05dA', i % 9000), 'Ecole', 'مدرسة', '1AC', '1ère année collège',
                   'السنة الأولى إعدادي', printf('%05dA-1AC-01', i % 9000), 12.5, 'promote', 'Admis(e)',
                   'ناجح(ة)', printf('V%08d', i)
            from range(?) t(i)
            """,
            [hashed, pupils],
        )
        con.execute(
            """
            insert into lookup.subject_result
            select printf('M%09d', i), s, subject, subject, subject, 11.0, 3
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
        for table in ("pupil", "subject_result", "absence", "timetable", "exam"):
            con.execute(f"create index {table}_code on lookup.{table} (student_code)")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parent_lookup.duckdb"
        started = time.perf_counter()
        build(path, args.pupils)
        print(f"built serving store of {args.pupils:,} pupils in {time.perf_counter() - started:.1f} s")
        store = ServingStore(path)
        ticks = iter(range(1, 10**9))
        guard = Guard(Path(tmp) / "state.sqlite", clock=lambda: next(ticks) * 1_000.0)
        rng = random.Random(1)
        for kind, secret, unknown in (
            ("right secret", SECRET, False),
            ("wrong secret", "nope", False),
            ("unknown code", SECRET, True),
        ):
            times = []
            for _ in range(args.lookups):
                n = rng.randrange(args.pupils)
                code = f"Z{n:09d}" if unknown else f"M{n:09d}"
                t0 = time.perf_counter()
                lookup(code, secret, "bench", store, guard)
                times.append((time.perf_counter() - t0) * 1000)
            print(
                f"{kind:>13}: p50 {statistics.median(times):6.2f} ms  p99 {percentile(times, 0.99):6.2f} ms"
            )


if __name__ == "__main__":
    main()
