"""The build record: what the last dbt build of the candidate did, so that only a complete build is checked
and published.

``candidate.duckdb.build.json`` (next to the candidate) holds, for the candidate's last build:

- ``inputs``: a fingerprint of what the build read (every file of the lake, load log and quarantine
  included: relative path, size, modification time), taken when the build started;
- ``steps``: one entry per ``dbt build`` invocation of the build (the command line runs one, the Airflow
  DAG one per layer; a retried task replaces its entry), with the counts of dbt's ``run_results.json``
  by status, the number of data tests it ran (``tests_run``) and the data tests that did not pass
  (``tests``: failed, errored or warned, each with what it guards and what to do, from dbt's manifest;
  ``data_tests``), which the quality gate reports instead of running those checks again;
- ``planned``: how many invocations the build consists of;
- ``status``: ``running`` until every planned invocation is recorded, then ``success`` when every node of
  every invocation succeeded (``success``, ``pass``, ``warn``, ``no-op``), ``failed`` as soon as one did
  not (an error, a failed test, a skipped node);
- ``candidate``: the candidate's fingerprint after the last recorded invocation (the restricted file
  dbt builds beside it included: ``warehouse.publish.candidate_fingerprint``), and ``restricted``: the
  restricted file's part of it.

``verify`` refuses a candidate whose build is not ``success``, that was written after its build (its
fingerprint differs: a build that crashed, a hand edit), or whose inputs changed since its build. The
gate (``massar check``) and the publication (``massar publish``, the DAGs' publish task) both call it.

A published version keeps its build record (``published/<version>.build.json``); a candidate copied
from that version (``prepare_candidate``) inherits it, so a candidate that is an unchanged copy of the
current version is verified as that version was, as long as the lake is as that build read it and the
restricted file is still the one that build wrote (it is not copied with the version).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from warehouse.publish import PublishError, candidate_fingerprint, restricted_fingerprint

#: run-result statuses of a node that did what was asked ("no-op": nothing to run, an exposure)
OK_STATUSES = frozenset({"success", "pass", "warn", "no-op"})
RECORD_SUFFIX = ".build.json"


class UnverifiedBuildError(PublishError):
    """The candidate is not the complete, successful build of the present inputs."""


def record_path(db: Path) -> Path:
    """Where the build record of a warehouse file (the candidate, or a published version) lives."""
    return db.with_name(db.name.removesuffix(".duckdb") + RECORD_SUFFIX)


def inputs_fingerprint(lake: Path) -> str:
    """A digest of every file under the lake (relative path, size, modification time): any load,
    correction, deletion, compaction or damage changes it."""
    digest = hashlib.sha256()
    if lake.exists():
        entries = []
        for folder, _dirs, files in os.walk(lake):
            for name in files:
                path = Path(folder) / name
                try:
                    st = path.stat()
                except FileNotFoundError:  # removed while walking
                    continue
                entries.append(f"{path.relative_to(lake)}\0{st.st_size}\0{st.st_mtime_ns}")
        for entry in sorted(entries):
            digest.update(entry.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _write(path: Path, record: dict[str, object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read(db: Path) -> dict[str, object] | None:
    """The build record of ``db`` (None when there is none or it is unreadable)."""
    try:
        record = json.loads(record_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def begin(candidate_db: Path, lake: Path, planned: int = 1, kind: str = "dbt build") -> dict[str, object]:
    """Start the record of a build of ``planned`` dbt invocations (replacing the previous record)."""
    record: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "started_at": _now(),
        "finished_at": None,
        "inputs": inputs_fingerprint(lake),
        "planned": planned,
        "steps": [],
        "status": "running",
        "candidate": None,
        "restricted": None,
    }
    _write(record_path(candidate_db), record)
    return record


def _counts(run_results: dict[str, object]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in run_results.get("results") or []:  # type: ignore[union-attr]
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return counts


#: run-result statuses of a data test the record keeps (a test skipped because what it tests failed is not
#: kept: that failure is)
KEPT_TEST_STATUSES = frozenset({"fail", "error", "warn"})
#: how much of dbt's message about a failing test the record keeps
MESSAGE_CHARS = 300


def _test_node(node: dict[str, object], nodes: dict[str, dict[str, object]]) -> dict[str, object]:
    """What the record keeps of a data test's manifest node: its kind, model and column, what it guards
    (the test's ``description``, else its generic test's ``meta.guards``, else what it tests on which
    column, with the column's description) and what to do when it
    fails (``meta.on_failure``; dbt_project.yml gives every data test a default)."""
    metadata = node.get("test_metadata") or {}
    kind = str(metadata.get("name") or "singular")  # type: ignore[union-attr]
    attached = str(node.get("attached_node") or "")
    model = str((nodes.get(attached) or {}).get("name") or attached.rsplit(".", 1)[-1])
    column = node.get("column_name")
    config = node.get("config") or {}
    meta = {**(node.get("meta") or {}), **(config.get("meta") or {})}  # type: ignore[dict-item, union-attr]
    target = f"{model}.{column}" if column else model
    description = str(node.get("description") or "")
    if not description and meta.get("guards"):  # the generic test's own (dbt/tests/generic)
        description = f"{meta['guards']} ({target})"
    if not description:
        columns = (nodes.get(attached) or {}).get("columns") or {}
        about = str((columns.get(column) or {}).get("description") or "") if column else ""  # type: ignore[union-attr]
        description = f"dbt test {kind} on {target}" + (f" ({about.strip()})" if about else "")
    return {
        "test": kind,
        "model": model,
        "column": column,
        "severity": str(config.get("severity") or "error").lower(),  # type: ignore[union-attr]
        "description": description,
        "on_failure": str(meta.get("on_failure") or ""),
    }


def data_tests(run_results: dict[str, object], manifest: dict[str, object] | None) -> tuple[int, list]:
    """The number of data tests an invocation ran and those that did not pass (``status`` fail, error,
    warn), each with its ``name``, ``failures`` (rows found), dbt's ``message`` and what
    ``_test_node`` reads from the manifest (unit tests are not data tests: they are counted with the
    nodes only)."""
    nodes: dict[str, dict[str, object]] = (manifest or {}).get("nodes") or {}  # type: ignore[assignment]
    ran, kept = 0, []
    for result in run_results.get("results") or []:  # type: ignore[union-attr]
        unique_id = str(result.get("unique_id") or "")
        if not unique_id.startswith("test."):
            continue
        ran += 1
        status = str(result.get("status"))
        if status not in KEPT_TEST_STATUSES:
            continue
        node = nodes.get(unique_id) or {}
        kept.append(
            {
                "name": str(node.get("name") or unique_id.split(".")[2]),
                "unique_id": unique_id,
                "status": status,
                "failures": result.get("failures"),
                "message": str(result.get("message") or "")[:MESSAGE_CHARS],
                **_test_node(node, nodes),
            }
        )
    return ran, kept


def describe(counts: dict[str, int]) -> str:
    """``PASS 636, ERROR 1, SKIP 122`` style summary of run-result counts."""
    return ", ".join(f"{status.upper()} {n}" for status, n in sorted(counts.items())) or "no node"


def record_step(
    candidate_db: Path, run_results: Path | None, returncode: int | None = None, label: str = ""
) -> dict[str, object]:
    """Add one dbt invocation's outcome (its ``run_results.json``; None when dbt wrote none) to the
    candidate's build record, which ``begin`` started. A failed build stays failed, unless the failed
    invocation (same ``label``: a DAG task retried) is run again and succeeds."""
    record = read(candidate_db)
    if record is None or record.get("status") not in ("running", "failed"):
        raise UnverifiedBuildError(
            "no build in progress for the candidate (a dbt invocation outside `massar build`)"
        )
    results: dict[str, object] = {}
    if run_results is not None and run_results.exists():
        try:
            results = json.loads(run_results.read_text(encoding="utf-8"))
        except ValueError:
            results = {}
    generated = str((results.get("metadata") or {}).get("generated_at") or "")  # type: ignore[union-attr]
    counts = _counts(results)
    manifest = None
    if results and run_results is not None and (run_results.parent / "manifest.json").exists():
        try:
            manifest = json.loads((run_results.parent / "manifest.json").read_text(encoding="utf-8"))
        except ValueError:
            manifest = None
    tests_run, tests = data_tests(results, manifest)
    ok = (
        bool(results)
        and returncode in (None, 0)
        and all(status in OK_STATUSES for status in counts)
        # a run_results.json older than this build is another build's
        and generated.replace("Z", "+00:00") >= str(record["started_at"])[:19]
    )
    # A retried invocation (an Airflow retry of a layer's task) replaces that invocation's outcome.
    steps = [s for s in record["steps"] if not label or s["label"] != label]  # type: ignore[union-attr]
    steps.append(
        {
            "label": label,
            "ok": ok,
            "returncode": returncode,
            "counts": counts,
            "tests_run": tests_run,
            "tests": tests,
            "at": _now(),
        }
    )
    record["steps"] = steps
    if not all(s["ok"] for s in steps):
        record["status"] = "failed"
    elif len(steps) >= int(record["planned"]):  # type: ignore[call-overload]
        record["status"] = "success"
    else:
        record["status"] = "running"
    if record["status"] != "running":
        record["finished_at"] = _now()
    record["candidate"] = candidate_fingerprint(candidate_db)
    record["restricted"] = restricted_fingerprint(candidate_db)
    _write(record_path(candidate_db), record)
    return record


def totals(record: dict[str, object]) -> dict[str, int]:
    """Run-result counts over every recorded invocation."""
    total: dict[str, int] = {}
    for step in record.get("steps") or []:  # type: ignore[union-attr]
        for status, n in step["counts"].items():
            total[status] = total.get(status, 0) + n
    return total


def failed_tests(record: dict[str, object]) -> list[dict[str, object]]:
    """The data tests of every recorded invocation that did not pass (see ``data_tests``)."""
    return [t for step in record.get("steps") or [] for t in step.get("tests") or []]  # type: ignore[union-attr]


def verify(candidate_db: Path, lake: Path) -> dict[str, object]:
    """The candidate's build record when the candidate is its complete, successful, unchanged build of the
    present inputs; raises ``UnverifiedBuildError`` saying why not otherwise."""
    record = read(candidate_db)
    if record is None:
        raise UnverifiedBuildError("the candidate has no build record: run `massar build`")
    status = record.get("status")
    if status == "running":
        done = len(record.get("steps") or [])  # type: ignore[arg-type]
        raise UnverifiedBuildError(
            f"the candidate's last build did not finish ({done} of {record.get('planned')} dbt "
            "invocation(s) recorded): run `massar build`"
        )
    if status != "success":
        blocking = [t["name"] for t in failed_tests(record) if t["status"] in ("fail", "error")]
        named = f"; failed data tests: {', '.join(blocking)}" if blocking else ""
        raise UnverifiedBuildError(
            f"the candidate's last build failed ({describe(totals(record))}{named}): fix it and run "
            "`massar build`"
        )
    if record.get("candidate") != candidate_fingerprint(candidate_db):
        raise UnverifiedBuildError(
            "the candidate was written after its last recorded build (an interrupted build or a change "
            "by hand): run `massar build`"
        )
    if record.get("inputs") != inputs_fingerprint(lake):
        raise UnverifiedBuildError(
            "the lake changed since the candidate was built (a load, a correction or a repair): "
            "run `massar build`"
        )
    return record


def keep_with_version(candidate_db: Path, version_db: Path) -> None:
    """Copy the candidate's build record next to a published version (its provenance)."""
    record = read(candidate_db)
    if record is not None:
        _write(record_path(version_db), record)


def inherit(candidate_db: Path, version_db: Path, version: str) -> None:
    """After ``prepare_candidate`` copied ``version`` into the candidate: the candidate's record is the
    version's build record, bound to the copy (no record when the version has none, or when the restricted
    file beside the candidate is not the one that build wrote: the copy does not bring it back)."""
    record = read(version_db)
    if (
        record is None
        or record.get("status") != "success"
        or record.get("restricted") != restricted_fingerprint(candidate_db)
    ):
        record_path(candidate_db).unlink(missing_ok=True)
        return
    record = {**record, "kind": f"copy of {version}", "candidate": candidate_fingerprint(candidate_db)}
    _write(record_path(candidate_db), record)


def seal(candidate_db: Path, lake: Path, kind: str) -> dict[str, object]:
    """Record the candidate as it is now as a complete build of the present inputs, with no dbt
    invocation (for a candidate written by other means, e.g. a test standing in for a build)."""
    begin(candidate_db, lake, planned=0, kind=kind)
    record = read(candidate_db) or {}
    record.update(
        status="success",
        finished_at=_now(),
        candidate=candidate_fingerprint(candidate_db),
        restricted=restricted_fingerprint(candidate_db),
    )
    _write(record_path(candidate_db), record)
    return record
