"""Markdown tables from benchmark results (``benchmarks/results/*.json``), for docs/benchmarks.md.

    .venv/bin/python benchmarks/report.py benchmarks/results/100k-*.json [more.json ...]

Stages of several JSON files of the same run (e.g. a run resumed with ``--stages``) are merged in order:
a later file's stage replaces an earlier one of the same name. A directory argument (a benchmark's
MASSAR_HOME) contributes the per-stage files its children wrote (``.stage-<name>.json``), for a run that
was interrupted before writing its JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STAGE_ORDER = (
    "generate", "ingest", "build", "check", "publish", "floor", "pandas", "compare", "daily",
    "daily_compare", "dashboards", "lookup", "sizing",
)  # fmt: skip


def merged(files: list[Path]) -> dict[str, Any]:
    stages: dict[str, dict[str, Any]] = {}
    first: dict[str, Any] = {}
    for path in files:
        if path.is_dir():
            stage_files = [path / f".stage-{n}.json" for n in STAGE_ORDER]
            found = [json.loads(f.read_text()) for f in stage_files if f.exists()]
            record = {"stages": found}
        else:
            record = json.loads(path.read_text())
            first = first or record
        for stage in record["stages"]:
            stage.setdefault("ok", True)
            if stage.get("ok"):
                stages[stage["stage"]] = stage
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return {**first, "stages": sorted(stages.values(), key=lambda s: order.get(s["stage"], 99))}


def table(record: dict[str, Any]) -> str:
    head = (
        f"{record['scale']}, {record['options']['pupils']:,} pupils x {record['options']['years']} years "
        f"(load average {record['machine']['load_avg_start'][0]:.0f} at start)"
        if "options" in record
        else ""
    )
    lines = [
        head,
        "",
        "| stage | seconds | rows | rows/s | peak RSS (MB) | rows counted |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for s in record["stages"]:
        rate = f"{s['rows_per_s']:,}" if s.get("rows_per_s") is not None else ""
        lines.append(
            f"| {s['stage']} | {s['seconds']:,.1f} | {s['rows']:,} | {rate} | {s['peak_rss_mb'] or 0:,} | "
            f"{s['rows_label']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    files = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    print(table(merged(files)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
