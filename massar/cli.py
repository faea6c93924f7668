"""The ``massar`` command: every pipeline stage, callable by hand and by the Airflow DAGs."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

# Imported inside the commands that use them, so that ``massar --help`` and the light commands start in
# about 0.6 s of imports. Measured with ``python -X importtime -c "import massar.cli; import X"`` (2 shared
# cores), on top of this module: expectations.gate 9 to 19 s (Great Expectations), dashboards.hardening
# 2.4 to 2.9 s (Streamlit), warehouse.verify 0.2 to 0.7 s and ingestion.loader 0.4 to 0.5 s (pyarrow),
# duckdb and the modules that import it (warehouse.publish, warehouse.build_record, warehouse.backup) 0.3
# to 0.4 s, massar.orchestration 0.2 s, dashboards.alerts 0.1 s (Babel), dashboards.auth 0.1 s (argon2),
# synthetic.calibration 0.09 s, ingestion.dbt_sources 0.04 to 0.05 s (every contract).
from dashboards.oidc import auth_section_from_files, oidc_configured, secrets_files
from ingestion.errors import DamagedLakeError
from massar import pipeline
from massar.settings import DASHBOARDS_DIR, export_environment, paths, production
from warehouse.writer_lock import EXIT_BUSY, WAIT_ENV, WriterBusyError, default_wait, writer_lock

#: Commands that write in MASSAR_HOME: each holds the writer lock while it runs (one writer at a time) and
#: takes ``--wait SECONDS``. verify reads, but only a home no one writes meanwhile is consistent; generate
#: writes the exports that ingest reads (unless ``--out`` points elsewhere); docs regenerates dbt's
#: artifacts. Listed by name so that a new command joins by adding its name here.
WRITERS = (
    "generate",
    "ingest",
    "build",
    "check",
    "publish",
    "rollback",
    "maintenance",
    "run",
    "docs",
    "backup",
    "restore",
    "verify",
)

#: Exit code of ``ingest`` and ``verify`` when the lake or a published version is damaged, and of
#: ``restore`` when the backup is (docs/operations.md).
EXIT_DAMAGED = 3


def _cmd_generate(args: argparse.Namespace) -> int:
    summary = pipeline.generate_exports(
        pupils=args.pupils, seed=args.seed, years=args.years, out=args.out, fault_rate=args.fault_rate
    )
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    regions = args.region or pipeline.export_regions()
    if not regions:
        print(f"no exports under {paths().exports}: run `massar generate` first", file=sys.stderr)
        return 1

    try:
        for region in regions:
            print(region, pipeline.ingest_region(region, verify=args.verify))
    except DamagedLakeError as exc:
        print(f"lake damaged: {exc}", file=sys.stderr)
        return EXIT_DAMAGED
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    with pl.Config(tbl_rows=-1, tbl_cols=20, fmt_str_lengths=80, tbl_width_chars=200):
        if args.batches:
            print("Per batch (file) / par lot (fichier) / حسب الدفعة:")
            print(pipeline.batch_report())
        print("Load log per region and entity / Journal de chargement par région et entité / سجل التحميل:")
        print(pipeline.load_report())
        print("Quarantined rows by reason / Lignes en quarantaine par motif / الأسطر المعزولة حسب السبب:")
        print(pipeline.quarantine_report())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """What ingesting the files would do, without loading anything; exit 1 when a line would be
    quarantined, a file rejected, or a column with values ignored."""

    from ingestion.loader import dry_run

    missing = [str(f) for f in args.files if not f.exists()]
    if missing:
        print(f"no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    lake = None if args.no_lake else paths().lake
    outcomes = dry_run(args.files, lake, args.school_year, args.region)
    lost = False
    for outcome in outcomes:
        r = outcome.record
        print(f"{r.source_file}: {r.status}")
        if r.status == "skipped":
            print(f"  {r.message}: its lines are those of the earlier file")
            continue
        if r.status == "rejected":
            print(f"  rejected: {r.message}")
            print(f"  {r.rows_rejected} data line(s) would not be loaded")
            lost = True
            continue
        print(
            f"  {r.rows_in} row(s): {r.rows_accepted} accepted, {r.rows_quarantined} quarantined; "
            f"{r.blank_lines} blank line(s) skipped"
        )
        if r.message:
            print(f"  {r.message}")
        if outcome.ignored_columns:
            print(f"  values NOT loaded: unknown column(s) {', '.join(outcome.ignored_columns)}")
            lost = True
        q = outcome.quarantined
        if q is not None and q.height:
            lost = True
            for reason, message, count in (
                q.group_by("reason_code", "message").agg(pl.len()).sort("len", descending=True).iter_rows()
            ):
                print(f"  quarantined {count}: {reason}: {message}")
            for line, reason in (
                q.select("_line_number", "reason_code").sort("_line_number").head(args.lines).iter_rows()
            ):
                print(f"    line {line}: {reason}")
            if q.height > args.lines:
                print(f"    ... {q.height - args.lines} more")
    if not outcomes:
        print("no file given", file=sys.stderr)
        return 2
    return 1 if lost else 0


#: Exit codes of build, check, publish, versions and rollback (docs/operations.md, "Exit codes").
EXIT_REFUSED = 2  # the gate blocked, or the candidate is not a verified build / not checked: not published
EXIT_BUILD_FAILED = 3  # dbt build failed: the candidate is not publishable
EXIT_DISK_FULL = 4  # not enough disk space: nothing was published, temporary copies removed
EXIT_BAD_CURRENT = 5  # CURRENT is damaged or names a missing version: repair with `massar rollback VERSION`


def _status(command: str, run: Callable[[], int]) -> int:
    """Run a command's work; known failures become one line on stderr and an exit code, not a traceback."""
    from expectations.gate import GateFailedError
    from warehouse.build_record import UnverifiedBuildError
    from warehouse.publish import CurrentPointerError, DiskFullError, PublishError, is_disk_full

    outcome = {"publish": "not published", "check": "not publishable", "build": "build failed"}.get(
        command, f"{command} failed"
    )
    try:
        return run()
    except CurrentPointerError as exc:
        print(f"{outcome}: {exc}", file=sys.stderr)
        return EXIT_BAD_CURRENT
    except DiskFullError as exc:
        print(f"{outcome}: {exc}", file=sys.stderr)
        return EXIT_DISK_FULL
    except UnverifiedBuildError as exc:
        print(f"{outcome}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except GateFailedError:
        print(f"{outcome}: the quality gate found critical failures (listed above)", file=sys.stderr)
        return EXIT_REFUSED
    except PublishError as exc:
        print(f"{outcome}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except pipeline.BuildFailedError as exc:
        print(f"build failed: {exc}; the candidate is not publishable", file=sys.stderr)
        return EXIT_BUILD_FAILED
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        print(f"{outcome}: disk full ({exc.filename or exc})", file=sys.stderr)
        return EXIT_DISK_FULL


def _cmd_build(args: argparse.Namespace) -> int:
    if args.select and args.target != "spark":
        print("--select: only with --target spark (the candidate is always built whole)", file=sys.stderr)
        return 2

    def run() -> int:
        if args.target == "spark":
            pipeline.build_on_spark(select=args.select, full_refresh=args.full_refresh)
        else:
            pipeline.build_warehouse(full_refresh=args.full_refresh)
        return 0

    return _status("build", run)


def _cmd_check(args: argparse.Namespace) -> int:
    def run() -> int:
        pipeline.check_candidate()
        return 0

    return _status("check", run)


def _cmd_publish(args: argparse.Namespace) -> int:
    def run() -> int:
        print(pipeline.publish_candidate(keep=args.keep))
        return 0

    return _status("publish", run)


def _publication(path: Path) -> str:
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                "select gate_verdict, warnings_count, published_at from audit.publication "
                "order by published_at desc limit 1"
            ).fetchall()
    except duckdb.Error:
        return ""
    return f"  {row[0][0]} ({row[0][1]} warning(s)), published {row[0][2]:%Y-%m-%d %H:%M:%S}" if row else ""


def _cmd_versions(args: argparse.Namespace) -> int:
    from warehouse.publish import SUFFIX, CurrentPointerError, current, versions

    published = paths().published_dir
    try:
        live, damaged = current(published), None
    except CurrentPointerError as exc:
        live, damaged = None, exc
    for name in versions(published):
        mark = "* " if live and live.version == name else "  "
        print(mark + name + _publication(published / f"{name}{SUFFIX}"))
    if damaged is not None:  # the list is still shown: it is what a repair picks from
        print(f"no current version: {damaged}", file=sys.stderr)
        return EXIT_BAD_CURRENT
    return 0


def _cmd_rollback(args: argparse.Namespace) -> int:
    def run() -> int:
        print(pipeline.rollback_version(args.version))
        return 0

    return _status("rollback", run)


def _cmd_maintenance(args: argparse.Namespace) -> int:
    print(json.dumps(pipeline.compact_lake()))
    removed = pipeline.prune_versions(args.keep)
    print(f"pruned {len(removed)} version(s): {', '.join(removed) or '-'}")
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    """Absence alerts (``dashboards.alerts``): send the day's (as the daily DAG does), list, subscribe."""
    from dashboards import alerts

    if args.action == "send":
        print(json.dumps(alerts.send_alerts(args.day), indent=2))
    elif args.action == "list":
        day, found = alerts.record_alerts(args.day, args.territory)
        print(f"{len(found)} open alert(s) on {day}")
        for a in found:
            print(
                f"  #{a['alert_id']} {a['calendar_date']} {a['kind']} {a['school_code']}", a["school_name_fr"]
            )
    else:
        if not args.email or not args.territory:
            print("massar alerts subscribe: --email and --territory are required", file=sys.stderr)
            return 2
        try:
            number = alerts.subscribe(args.email, args.territory, args.kind or alerts.KINDS, "massar cli")
        except alerts.AlertError as exc:
            print(f"massar alerts subscribe: {exc}", file=sys.stderr)
            return 2
        print(f"subscription #{number}: {args.email} -> {args.territory}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from warehouse.verify import verify_home

    report = verify_home(full=not args.quick)
    print(report.text())
    return 0 if report.ok else EXIT_DAMAGED


def _cmd_backup(args: argparse.Namespace) -> int:
    from warehouse.backup import BackupError, backup

    try:
        with writer_lock("massar backup"):
            print(json.dumps(backup(args.dest, with_exports=args.with_exports), indent=2))
    except BackupError as exc:
        print(f"no backup: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from warehouse.backup import BackupError, DamagedBackupError, restore

    try:
        with writer_lock("massar restore"):
            print(json.dumps(restore(args.src, force=args.force), indent=2))
    except BackupError as exc:
        print(f"not restored: {exc}", file=sys.stderr)
        return 2
    except DamagedBackupError as exc:
        print(f"not restored: {exc}", file=sys.stderr)
        return EXIT_DAMAGED
    print("restored: run massar verify, then massar build, check and publish as usual")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from massar.orchestration import run_dag

    conf: dict[str, object] = {}
    if args.dag == "massar_daily" and args.day:
        conf["day"] = args.day
    if args.dag == "massar_backfill":
        if not (args.start and args.end):
            print("massar_backfill needs --start and --end", file=sys.stderr)
            return 2
        conf.update(start=args.start, end=args.end)
    if args.dag == "massar_school_year":
        conf["phase"] = args.phase
    if args.generate or not any(paths().exports.glob("*/manifest.json")):
        pipeline.generate_exports(pupils=args.pupils, seed=args.seed, years=args.years)
    state = run_dag(args.dag, conf or None)
    print(f"DAG {args.dag}: {state}")
    if state != "success":
        return 1
    p = paths()
    print(f"Published warehouse: {p.published_dir}")
    print(f"Data Docs (quality reports): {p.data_docs_index}")
    print("Load report: massar report    Dashboards: massar serve")
    return 0


def _streamlit(app: Path, port: int, address: str, *, public: bool) -> list[str]:
    from dashboards.hardening import client_options

    hardening = [arg for key, value in client_options(public).items() for arg in (f"--{key}", value)]
    secrets = [arg for path in secrets_files() for arg in ("--secrets.files", str(path))]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.enableStaticServing",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        *hardening,
        *secrets,
    ]


def _cmd_serve(args: argparse.Namespace) -> int:
    """The internal dashboards (sign-in; they also serve the GX Data Docs, ``dashboards.data_docs``), the
    public app on the next port and the parent portal on port + 3. Every server
    binds 127.0.0.1 unless ``--address`` or ``MASSAR_BIND`` says otherwise. Production mode
    (``MASSAR_ENV=production``) refuses to start on demo or missing secrets
    (``massar.settings.production``)."""
    from dashboards.auth import demo_accounts_active

    try:
        production.require_ready(oidc_configured=oidc_configured(auth_section_from_files()))
    except production.NotReadyForProduction as refused:
        print(refused, file=sys.stderr)
        return 2
    address = production.bind_address(args.address)
    # a service manager stops with SIGTERM: exit through the `finally` below, which stops the children
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if demo_accounts_active():
        print(
            "WARNING: demo mode: the demo accounts of dashboards/users.demo.toml (passwords in the README) "
            "are active. Set MASSAR_ENV=production for a real deployment (docs/operations.md).",
            file=sys.stderr,
            flush=True,
        )
    env = {**os.environ, **export_environment()}
    host = "localhost" if address in ("127.0.0.1", "0.0.0.0", "::") else address
    public = subprocess.Popen(
        _streamlit(DASHBOARDS_DIR / "public" / "app.py", args.port + 1, address, public=True), env=env
    )
    portal_port = args.port + 3
    env.setdefault("MASSAR_PORTAL_URL", f"http://{host}:{portal_port}")
    portal = subprocess.Popen(
        [sys.executable, "-m", "massar.cli", "serve-portal", "--host", address, "--port", str(portal_port)],
        env=env,
    )
    print(f"Dashboards (sign-in): http://{host}:{args.port}", flush=True)
    print(f"Public statistics: http://{host}:{args.port + 1}", flush=True)
    print(f"Parent portal (lookup, certificates): {env['MASSAR_PORTAL_URL']}", flush=True)
    print(f"Data Docs (quality gate): http://{host}:{args.port}/_massar/data-docs/index.html", flush=True)
    try:
        # app.py with the session cookie's routes (dashboards.sessions) and the Data Docs' route
        internal = _streamlit(DASHBOARDS_DIR / "server.py", args.port, address, public=False)
        return subprocess.call(internal, env=env)
    finally:
        for child in (public, portal):
            child.terminate()
            child.wait(timeout=15)


def _cmd_serve_portal(args: argparse.Namespace) -> int:
    """The parent portal (lookup, certificates) on 127.0.0.1 unless told otherwise, several workers."""
    print(f"Parent portal: http://{args.host}:{args.port}/fr/ ({args.workers} workers)", flush=True)
    # A light main module of its own: each worker process re-imports the main module when it starts.
    command = [sys.executable, "-m", "dashboards.public.portal.server", "--host", args.host]
    os.execv(sys.executable, [*command, "--port", str(args.port), "--workers", str(args.workers)])
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    with writer_lock("massar docs", wait=args.wait):  # only while generating: serving them writes nothing
        pipeline.run_dbt("docs", "generate")
    if args.serve:
        pipeline.run_dbt("docs", "serve", "--port", str(args.port), "--no-browser")
        return 0
    print(f"dbt docs written to {paths().dbt_target}")
    print("serve them with: massar docs --serve")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from synthetic.calibration import calibration_report

    calibration_report(args.exports if args.exports is not None else paths().exports)
    return 0


def _cmd_contracts_generate_dbt(args: argparse.Namespace) -> int:
    from ingestion import dbt_sources

    return dbt_sources.main(["--check"] if args.check else [])


def _cmd_production(args: argparse.Namespace) -> int:
    """``init-keys``: create the missing server keys; ``check``: what production mode would refuse."""

    if args.action == "init-keys":
        created = production.init_keys()
        print(f"created: {', '.join(created) or 'nothing (all keys exist)'} in {paths().home / 'keys'}")
        return 0
    os.environ[production.ENV_VAR] = production.PRODUCTION
    found = production.problems(oidc_configured=oidc_configured(auth_section_from_files()))
    for p in found:
        print(p, file=sys.stderr)
    print("ready for production" if not found else f"{len(found)} problem(s)")
    return 1 if found else 0


def _cmd_paths(args: argparse.Namespace) -> int:
    p = paths()
    for name in ("home", "exports", "lake", "candidate_db", "published_dir", "airflow_home", "gx_root"):
        print(f"{name:14} {getattr(p, name)}")
    return 0


def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    """generate, ingest, validate, report, build, check, publish."""
    g = sub.add_parser("generate", help="write synthetic Massar exports")
    g.add_argument("--pupils", type=int, default=5000)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--years", type=int, default=1)
    g.add_argument("--out", type=Path, default=None, help="default: $MASSAR_HOME/exports")
    g.add_argument("--fault-rate", type=float, default=0.01, help="share of rows with an injected fault")
    g.set_defaults(func=_cmd_generate)

    i = sub.add_parser("ingest", help="validate exports and load them into the Parquet lake")
    i.add_argument("--region", action="append", help="region code (repeatable); default: all")
    i.add_argument(
        "--verify", action="store_true", help="also compare the checksums of the region's lake files first"
    )
    i.set_defaults(func=_cmd_ingest)

    v = sub.add_parser(
        "validate",
        help="say what ingesting export files would accept, quarantine or reject, and why (loads nothing)",
    )
    v.add_argument("files", nargs="+", type=Path, help="export files, or folders of them")
    v.add_argument("--school-year", help="for files not in a <school_year>/<region>/ folder")
    v.add_argument("--region", help="for files not in a <school_year>/<region>/ folder")
    v.add_argument("--lines", type=int, default=20, help="quarantined lines listed per file")
    v.add_argument("--no-lake", action="store_true", help="do not check references against the lake")
    v.set_defaults(func=_cmd_validate)

    rp = sub.add_parser("report", help="load log and quarantine summary, per region (and per batch)")
    rp.add_argument("--batches", action="store_true", help="also one line per batch (file), reasons included")
    rp.set_defaults(func=_cmd_report)

    b = sub.add_parser("build", help="dbt build into the candidate warehouse")
    b.add_argument("--full-refresh", action="store_true")
    b.add_argument(
        "--target",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="engine: the DuckDB candidate (default), or Apache Spark (dbt target spark: docs/scaling.md; "
        "builds only, nothing is checked or published from it)",
    )
    b.add_argument(
        "--select", nargs="+", metavar="SELECTOR", help="dbt selectors (--target spark only; default: all)"
    )
    b.set_defaults(func=_cmd_build)

    sub.add_parser("check", help="run the quality gate on the candidate").set_defaults(func=_cmd_check)

    pb = sub.add_parser("publish", help="publish the candidate atomically")
    pb.add_argument("--keep", type=int, default=5, help="published versions to keep")
    pb.set_defaults(func=_cmd_publish)


def _add_version_commands(sub: argparse._SubParsersAction) -> None:
    """versions, rollback, verify, backup, restore."""
    sub.add_parser("versions", help="list published versions (* = current)").set_defaults(func=_cmd_versions)
    rb = sub.add_parser("rollback", help="point readers back to an earlier published version")
    rb.add_argument("version", nargs="?", default=None)
    rb.set_defaults(func=_cmd_rollback)

    vf = sub.add_parser(
        "verify", help="check the lake against its load log and the published versions (exit 3 if damaged)"
    )
    vf.add_argument("--quick", action="store_true", help="sizes and footers only: no checksum, no full read")
    vf.set_defaults(func=_cmd_verify)

    bk = sub.add_parser("backup", help="consistent backup of the home (lake, published versions, keys...)")
    bk.add_argument("dest", type=Path, help="a new or empty folder, or a .tar file")
    bk.add_argument("--with-exports", action="store_true", help="also copy the exports folder")
    bk.set_defaults(func=_cmd_backup)

    rs = sub.add_parser("restore", help="restore a backup into this home (refuses a home with data)")
    rs.add_argument("src", type=Path, help="a backup folder or .tar file made by massar backup")
    rs.add_argument("--force", action="store_true", help="replace the data of a home that has some")
    rs.set_defaults(func=_cmd_restore)


def _add_run_commands(sub: argparse._SubParsersAction) -> None:
    """run (a DAG through Airflow), maintenance."""
    r = sub.add_parser("run", help="run a pipeline DAG through Airflow (dag.test)")
    r.add_argument(
        "--dag",
        default="massar_pipeline",
        choices=[
            "massar_pipeline",
            "massar_daily",
            "massar_backfill",
            "massar_school_year",
            "massar_maintenance",
        ],
    )
    r.add_argument("--generate", action="store_true", help="(re)generate exports first")
    r.add_argument("--pupils", type=int, default=5000)
    r.add_argument("--seed", type=int, default=42)
    r.add_argument("--years", type=int, default=1)
    r.add_argument("--day", help="massar_daily: the school day to load (yyyy-mm-dd)")
    r.add_argument("--start", help="massar_backfill: first day (yyyy-mm-dd)")
    r.add_argument("--end", help="massar_backfill: last day (yyyy-mm-dd)")
    r.add_argument("--phase", choices=["start", "close"], default="start", help="massar_school_year")
    r.set_defaults(func=_cmd_run)

    m = sub.add_parser("maintenance", help="compact small lake files and prune old published versions")
    m.add_argument("--keep", type=int, default=5, help="published versions to keep")
    m.set_defaults(func=_cmd_maintenance)


def _add_serving_commands(sub: argparse._SubParsersAction) -> None:
    """serve, serve-portal, docs, paths."""
    s = sub.add_parser("serve", help="start the dashboards")
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--address", default=None, help="address to bind (default: $MASSAR_BIND, else 127.0.0.1)")
    s.set_defaults(func=_cmd_serve)

    sp = sub.add_parser("serve-portal", help="start the parent portal (uvicorn workers)")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8504)
    sp.add_argument("--workers", type=int, default=2)
    sp.set_defaults(func=_cmd_serve_portal)

    d = sub.add_parser("docs", help="generate dbt docs (offline), optionally serve them")
    d.add_argument("--serve", action="store_true")
    d.add_argument("--port", type=int, default=8081)
    d.set_defaults(func=_cmd_docs)
    sub.add_parser("paths", help="show where data lives").set_defaults(func=_cmd_paths)
    pr = sub.add_parser("production", help="production mode: create the missing server keys, or check")
    pr.add_argument("action", choices=("init-keys", "check"))
    pr.set_defaults(func=_cmd_production)


def _add_tool_commands(sub: argparse._SubParsersAction) -> None:
    """contracts, calibrate, alerts."""
    ct = sub.add_parser("contracts", help="what derives from the source contracts (ingestion/contracts/)")
    ct_sub = ct.add_subparsers(dest="contracts_command", required=True)
    gd = ct_sub.add_parser(
        "generate-dbt",
        help="write the lake source file and the staging column lists of dbt from the contracts",
    )
    gd.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is out of date")
    gd.set_defaults(func=_cmd_contracts_generate_dbt)

    cal = sub.add_parser("calibrate", help="synthetic exports' marginals beside the reference figures")
    cal.add_argument("--exports", type=Path, default=None, help="default: $MASSAR_HOME/exports")
    cal.set_defaults(func=_cmd_calibrate)

    al = sub.add_parser("alerts", help="absence alerts: send the day's by e-mail, list them, subscribe")
    al.add_argument("action", choices=("send", "list", "subscribe"))
    al.add_argument("--day", default=None, help="yyyy-mm-dd (default: the last school day loaded)")
    al.add_argument("--territory", default=None, help="a region (RR) or a province (RR.PPP)")
    al.add_argument("--email", default=None, help="subscribe: the address")
    al.add_argument("--kind", action="append", choices=("spike", "missing_recording"), help="default: both")
    al.set_defaults(func=_cmd_alerts)


def _add_wait_options(sub: argparse._SubParsersAction) -> None:
    """``--wait`` on the commands that take the writer lock."""
    for name in WRITERS:
        if name in sub.choices:
            sub.choices[name].add_argument(
                "--wait",
                type=float,
                default=None,
                metavar="SECONDS",
                help=f"when another run holds the writer lock, wait this long for it (default: ${WAIT_ENV} "
                f"or 0: exit at once with status {EXIT_BUSY})",
            )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="massar", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_data_commands,
        _add_version_commands,
        _add_run_commands,
        _add_serving_commands,
        _add_tool_commands,
        _add_wait_options,
    ):
        add(sub)
    return parser


def _locks(args: argparse.Namespace) -> bool:
    """Whether the command holds the writer lock for its whole run (``docs`` takes it only to generate)."""
    if args.command == "docs":
        return False
    out = getattr(args, "out", None)
    if args.command == "generate" and out is not None:
        return out.resolve().is_relative_to(paths().home)
    return True


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    if args.command != "production":  # it reads or creates the keys: it must not create one beforehand
        export_environment()
    if args.command not in WRITERS:
        return int(args.func(args) or 0)
    try:
        if args.wait is None:
            args.wait = default_wait()
    except ValueError as exc:
        print(f"massar {args.command}: {exc}", file=sys.stderr)
        return 2
    try:
        if _locks(args):
            with writer_lock(f"massar {args.command}", wait=args.wait):
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except WriterBusyError as exc:
        print(f"massar {args.command}: {exc}", file=sys.stderr)
        return EXIT_BUSY


if __name__ == "__main__":
    sys.exit(main())
