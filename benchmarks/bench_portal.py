"""Load test of the parent portal: Locust (headless, bounded in time) against ``massar serve-portal``
with several uvicorn workers on 127.0.0.1, on a synthetic lookup store of ``--pupils`` pupils.

    .venv/bin/python benchmarks/bench_portal.py --pupils 1000000 --users 40 --seconds 60 --workers 2

Prints journeys per second, requests per second and p50/p99 (ms) for the page, the lookup and the
certificate, and the errors. Locust runs on the same machine as the server (it takes part of the CPU):
the figures are a floor for the server alone. The store is built once into ``--store`` and reused.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import duckdb
import psutil
from bench_lookup import SECRET, build
from portal_support import portal_server

REPO = Path(__file__).resolve().parents[1]
KEY = "b7" * 32
VERSION = "v20260601T000000000000Z"


def publish(home: Path, store: Path) -> None:
    """Publish ``store`` as the lookup store of version ``VERSION`` of ``home``, as ``massar publish`` lays
    it out: the store records its version, and ``CURRENT`` names a version file (empty: the portal never
    opens the warehouse)."""
    with duckdb.connect(str(store)) as con:
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.build as select ? as source", [VERSION])
    published = home / "warehouse" / "published"
    published.mkdir(parents=True, exist_ok=True)
    (published / f"{VERSION}.duckdb").touch()
    (published / "CURRENT").write_text(VERSION + "\n", encoding="utf-8")


def server_cpu_seconds(base: str) -> float:
    """CPU time (user + system) of the portal's processes so far: the server started on ``base``'s port
    and its worker processes."""
    port = base.rsplit(":", 1)[1]
    total = 0.0
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "dashboards.public.portal.server" in cmdline and port in cmdline:
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
    return total


def run(args: argparse.Namespace, home: Path) -> dict[str, dict[str, float]]:
    store = home / "serving" / VERSION / "parent_lookup.duckdb"
    store.parent.mkdir(parents=True, exist_ok=True)
    if args.store and args.store.exists():
        if not store.exists():
            store.symlink_to(args.store.resolve())
        print(f"reusing the store {args.store}")
    else:
        started = time.perf_counter()
        target = args.store or store
        build(target, args.pupils, KEY.encode())
        if target != store:
            store.symlink_to(target.resolve())
        print(f"built a store of {args.pupils:,} pupils in {time.perf_counter() - started:.0f} s")
    publish(home, store)
    size = store.resolve().stat().st_size
    env = {
        "MASSAR_LOOKUP_KEY": KEY,
        "MASSAR_TRUSTED_PROXIES": "127.0.0.1",
        "MASSAR_LOOKUP_CLIENT_FREE": "1000",
    }
    with portal_server(home, home / "server.log", workers=args.workers, **env) as base:
        prefix = home / "locust"
        command = [
            sys.executable, "-m", "locust", "-f", str(REPO / "benchmarks" / "locustfile_portal.py"),
            "--headless", "--host", base, "-u", str(args.users), "-r", str(args.users),
            "-t", f"{args.seconds}s", "--csv", str(prefix), "--only-summary", "--stop-timeout", "5",
        ]  # fmt: skip
        locust_env = {
            **os.environ,
            "PORTAL_PUPILS": str(args.pupils),
            "PORTAL_SECRET": SECRET,
            "PORTAL_CERTIFICATE_SHARE": str(args.certificate_share),
        }
        cpu_before = server_cpu_seconds(base)
        subprocess.run(command, env=locust_env, check=False, stdout=subprocess.DEVNULL)
        server_cpu = server_cpu_seconds(base) - cpu_before
        rows = list(csv.DictReader((home / "locust_stats.csv").open()))
        for extra in ("locust_exceptions.csv", "locust_failures.csv"):
            lines = (home / extra).read_text().splitlines() if (home / extra).exists() else []
            if len(lines) > 1:
                print(f"{extra}:", *lines[1:6], sep="\n  ")
    figures = {}
    for row in rows:
        figures[row["Name"]] = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "p50_ms": float(row["50%"]),
            "p99_ms": float(row["99%"]),
        }
    print(
        f"store: {args.pupils:,} pupils, {size / 1e9:.2f} GB; {args.workers} workers; {args.users} users; "
        f"{args.seconds} s; certificate share {args.certificate_share}"
    )
    for name in ("page", "lookup", "certificate", "Aggregated"):
        if name in figures:
            f = figures[name]
            print(
                f"{name:>11}: {f['requests']:6d} requests  {f['rps']:7.1f}/s  p50 {f['p50_ms']:6.0f} ms  "
                f"p99 {f['p99_ms']:6.0f} ms  failures {f['failures']}"
            )
    if "lookup" in figures:
        journeys = figures["lookup"]["requests"] - figures["lookup"]["failures"]
        figures["server"] = {"cpu_s": server_cpu, "cpu_ms_per_journey": 1000 * server_cpu / max(journeys, 1)}
        print(f"journeys/s (lookups answered): {figures['lookup']['rps']:.1f}")
        print(
            f"server CPU: {server_cpu:.1f} s for {journeys} journeys = "
            f"{1000 * server_cpu / max(journeys, 1):.1f} ms CPU per journey "
            f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--certificate-share", type=float, default=0.2)
    parser.add_argument("--store", type=Path, help="build the store here once and reuse it")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        load_before = os.getloadavg()[0]
        figures = run(args, Path(tmp))
    if args.out:
        settings = {k: v for k, v in vars(args).items() if k not in ("store", "out")}
        result = {
            "benchmark": "portal",
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": settings,
            "load_average_before": load_before,
            "cpu_count": os.cpu_count(),
            "figures": figures,
        }
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
