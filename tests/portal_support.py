"""A real parent portal for the tests: `massar serve-portal` (uvicorn, two worker processes) on a free port
of 127.0.0.1, with its own data folder and settings; always terminated."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 90


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def portal_server(home: Path, log_path: Path, workers: int = 2, **env: str) -> Iterator[str]:
    """`massar serve-portal --workers N` with MASSAR_HOME=home and the extra environment ``env``; yields
    the base URL once /healthz answers."""
    port = free_port()
    full_env = {**os.environ, "MASSAR_HOME": str(home), **env}
    if "MASSAR_TRUSTED_PROXIES" not in env:
        full_env.pop("MASSAR_TRUSTED_PROXIES", None)
    command = [
        sys.executable, "-m", "massar.cli", "serve-portal",
        "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"portal exited with {server.returncode}:\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"portal not up after {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()}")
                time.sleep(0.25)
            yield base
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # the server's own process group (its workers)
                server.wait(timeout=10)


def demo_secrets(home: Path) -> dict[str, str]:
    """The plain parent secrets the synthetic source wrote (latest year wins), read independently."""
    secrets: dict[str, str] = {}
    for path in sorted((home / "exports").glob("*/parent_secrets.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"):
            secrets[row["student_code"]] = row["secret"]
    return secrets
