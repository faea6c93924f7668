"""Production mode, server keys, sign-in throttling and password hashing, and the hardening of the apps.

Each test plays an attack or a routine mistake of a deployment: the demo accounts or a development salt in
production, a server bound to every interface, 40 wrong passwords then the right one, guesses spread over
two processes, cheap password hashes, the browser's "clear cache" message.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import auth, backoff
from dashboards.hardening import client_options, disable_cache_clearing
from massar.cli import _streamlit
from massar.settings import production

REPO_ROOT = Path(__file__).resolve().parents[1]
APP = REPO_ROOT / "dashboards" / "app.py"
KEY_VARS = [f"MASSAR_{name.upper()}_KEY" for name in (*production.REQUIRED_KEYS, production.SESSION_KEY)]


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty MASSAR_HOME, no key in the environment, demo mode."""
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    for name in [*KEY_VARS, production.ENV_VAR, production.BIND_ENV]:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _serve(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in KEY_VARS and k != production.BIND_ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "massar.cli", "serve", *args],
        cwd=home,
        env={**clean, "MASSAR_HOME": str(home), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the test can always stop every server it starts
    )


def _stop(served: subprocess.Popen[str]) -> str:
    """SIGTERM as a service manager sends it; every child must be gone with the parent. Returns stderr."""
    served.terminate()
    try:
        _, err = served.communicate(timeout=60)
    finally:
        # grandchildren (the portal workers' multiprocessing resource tracker) exit just after the
        # parent: a few seconds of grace, then whatever is left was left running
        deadline = time.monotonic() + 10
        while True:
            try:
                os.killpg(served.pid, 0)
            except ProcessLookupError:
                leftovers = False
                break
            if time.monotonic() > deadline:
                os.killpg(served.pid, signal.SIGKILL)
                leftovers = True
                break
            time.sleep(0.2)
        served.wait(timeout=30)
    assert not leftovers, "massar serve left servers running after SIGTERM"
    return err


# --- production mode ----------------------------------------------------------------------------


def test_production_refuses_the_demo_accounts(fresh_home: Path) -> None:
    """With every key present, `massar serve` still refuses to start on the demo users file, and says
    which file and what to do instead; a users.toml that copies the demo hashes is refused too."""
    assert production.init_keys() == list(production.REQUIRED_KEYS)
    served = _serve(fresh_home, env={production.ENV_VAR: "production"})
    _, err = served.communicate(timeout=60)
    assert served.returncode == 2
    assert "refusing to start" in err and "users.demo.toml" in err and "users.toml" in err

    os.environ[production.ENV_VAR] = "production"
    try:
        assert not auth.demo_accounts_active(), "production never falls back to the demo file"
        assert auth.load_users() == {}
        copied = (REPO_ROOT / "dashboards" / "users.demo.toml").read_text()
        (fresh_home / "users.toml").write_text(copied)
        assert any("demo accounts" in p for p in production.problems(oidc_configured=True))
        own = f'[users.ops]\nrole = "ministry"\npassword_hash = "{auth.hash_password("long-own-pw")}"\n'
        (fresh_home / "users.toml").write_text(own)
        # local accounts sign session cookies: their key is required too, and created with the others
        found = production.problems(oidc_configured=False)
        assert len(found) == 1 and "'session'" in found[0] and "missing" in found[0]
        assert production.init_keys() == ["session"]
        assert production.problems(oidc_configured=False) == []
        # the demo is not refused: same home, no MASSAR_ENV
        os.environ.pop(production.ENV_VAR)
        production.require_ready(oidc_configured=False)
    finally:
        os.environ.pop(production.ENV_VAR, None)


def test_production_refuses_default_short_or_missing_keys(
    fresh_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(production.ENV_VAR, "production")
    # missing: named, with the way to create it; and never generated behind the operator's back
    found = production.problems(oidc_configured=True)
    assert len(found) == 3 and all("missing" in p for p in found)
    assert {"pseudonym", "lookup", "certificate"} == {p.split("'")[1] for p in found}
    assert not (fresh_home / "keys").exists()
    # the old development salt, or a short key, is refused even when set
    monkeypatch.setenv("MASSAR_PSEUDONYM_KEY", "massar-dev-salt")
    monkeypatch.setenv("MASSAR_LOOKUP_KEY", "short")
    monkeypatch.setenv("MASSAR_CERTIFICATE_KEY", secrets.token_hex(32))
    found = production.problems(oidc_configured=True)
    assert any("'pseudonym'" in p and "development" in p for p in found)
    assert any("'lookup'" in p and "too short" in p for p in found)
    assert not any("'certificate'" in p for p in found)
    with pytest.raises(production.NotReadyForProduction, match="MASSAR_PSEUDONYM_KEY"):
        production.require_ready(oidc_configured=True)
    # a typo must not fall back to the demo
    monkeypatch.setenv(production.ENV_VAR, "prod")
    with pytest.raises(ValueError, match="MASSAR_ENV"):
        production.is_production()


def test_the_app_refuses_to_serve_in_production_without_its_secrets(
    fresh_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`streamlit run dashboards/app.py` by hand (no `massar serve`) refuses too: a generic message for
    the visitor, no sign-in form, nothing of the server's paths."""
    monkeypatch.setenv(production.ENV_VAR, "production")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] and "incomplète" in at.error[0].value
    assert str(fresh_home) not in at.error[0].value
    assert not at.text_input, "no sign-in form"


def test_demo_mode_warns_that_demo_accounts_are_active(fresh_home: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("démonstration" in w.value for w in at.warning)


# --- binding --------------------------------------------------------------------------------------


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp[6] writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_serve_binds_loopback_by_default(fresh_home: Path) -> None:
    """`massar serve` (what `make run` starts) listens on 127.0.0.1 only: the dashboards (Data Docs
    included) and the public app."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = _serve(fresh_home, "--port", str(port))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    pass
                with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("massar serve did not answer on 127.0.0.1")
        for p in (port, port + 1):
            assert _listening(p) == {"0100007F"}, f"port {p} listens on {_listening(p)}"
    finally:
        err = _stop(served)
    assert "demo accounts" in err, "demo mode says so on the terminal"


def test_streamlit_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(production.BIND_ENV, raising=False)
    monkeypatch.delenv(production.ENV_VAR, raising=False)
    public = _streamlit(REPO_ROOT / "dashboards/public/app.py", 9, production.bind_address(None), public=True)
    flags = dict(zip(public[5::2], public[6::2], strict=False))
    assert flags["--server.address"] == "127.0.0.1"
    assert flags["--client.showErrorDetails"] == "none" and flags["--client.toolbarMode"] == "viewer"
    internal = _streamlit(APP, 8, production.bind_address(None), public=False)
    assert dict(zip(internal[5::2], internal[6::2], strict=False))["--client.showErrorDetails"] == "full"
    monkeypatch.setenv(production.ENV_VAR, "production")
    assert client_options(public=False)["client.showErrorDetails"] == "none"
    monkeypatch.setenv(production.BIND_ENV, "10.0.0.5")
    assert production.bind_address(None) == "10.0.0.5"
    assert production.bind_address("0.0.0.0") == "0.0.0.0"


# --- sign-in throttling ----------------------------------------------------------------------------


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.toml"
    path.write_text(
        f'[users.alice]\nrole = "region"\nregion_code = "04"\n'
        f'password_hash = "{auth.hash_password("right-password")}"\n'
    )
    return path


def test_forty_wrong_passwords_then_the_right_one(tmp_path: Path, users_file: Path) -> None:
    """The attack: 40 wrong passwords, then the right one, does not sign in; the right one works once the
    back-off delay has passed (no lock-out anyone can hold)."""
    store = tmp_path / "backoff.sqlite"
    results = [
        auth.attempt_sign_in("alice", f"guess-{i}", "203.0.113.9", path=users_file, store=store)
        for i in range(40)
    ]
    assert all(r.user is None for r in results)
    assert sum(r.retry_after > 0 for r in results) >= 40 - backoff.FREE_FAILURES - 1
    right = auth.attempt_sign_in("alice", "right-password", "203.0.113.9", path=users_file, store=store)
    assert right.user is None and right.retry_after > 0
    # the account is throttled, whatever the address
    other = auth.attempt_sign_in("alice", "right-password", "198.51.100.7", path=users_file, store=store)
    assert other.user is None and other.retry_after > 0
    later = time.time() + backoff.MAX_DELAY_S + 1
    ok = auth.attempt_sign_in(
        "alice", "right-password", "198.51.100.7", path=users_file, store=store, now=later
    )
    assert ok.user is not None and ok.user.scope.region_code == "04"
    assert backoff.failures("account:alice", store=store) == 0


def test_backoff_schedule() -> None:
    """Delays by hand: 5 free failures, then 1, 2, 4 s ... capped at 15 minutes."""
    assert [backoff.delay_after(n) for n in range(1, 10)] == [0, 0, 0, 0, 0, 1, 2, 4, 8]
    assert backoff.delay_after(40) == 900


def test_sql_schedule_matches_the_documented_one(tmp_path: Path) -> None:
    store = tmp_path / "b.sqlite"
    for n in range(1, 20):
        now = 1_000_000.0 + n * 1_000  # after the previous delay (at most 900 s), before forgetting (1 h)
        assert backoff.reserve(["account:x"], store=store, now=now) == 0
        with sqlite3.connect(store) as con:
            (until,) = con.execute("select blocked_until from backoff where key = 'account:x'").fetchone()
        assert until - now == pytest.approx(backoff.delay_after(n)), n


_GUESSER = """
import sys
from dashboards import backoff
store, now, tries = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
from pathlib import Path
keys = ["account:victim", "client:c" + sys.argv[4]]
print(sum(backoff.reserve(keys, store=Path(store), now=now) == 0 for _ in range(tries)))
"""


def test_backoff_is_shared_and_atomic_between_processes(tmp_path: Path, users_file: Path) -> None:
    """Two processes guess at the same instant, 30 attempts each: together they get exactly the free
    attempts plus one checked (check and record are one step); then a third process is throttled too."""
    store = tmp_path / "shared.sqlite"
    now = str(time.time())
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _GUESSER, str(store), now, "30", str(i)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    passed = sum(int(p.communicate(timeout=60)[0]) for p in procs)
    assert passed == backoff.FREE_FAILURES + 1
    assert backoff.failures("account:victim", store=store) == backoff.FREE_FAILURES + 1
    blocked = auth.attempt_sign_in(
        "victim", "whatever", "192.0.2.1", path=users_file, store=store, now=float(now) + 0.5
    )
    assert blocked.retry_after > 0


def test_successful_sign_ins_do_not_slow_down_colleagues(tmp_path: Path, users_file: Path) -> None:
    store = tmp_path / "office.sqlite"
    for _ in range(backoff.FREE_FAILURES + 3):
        assert auth.attempt_sign_in("alice", "right-password", "10.1.1.1", path=users_file, store=store).user
    assert backoff.failures("client:10.1.1.1", store=store) == 0


# --- password hashing -------------------------------------------------------------------------------


def test_password_hash_cost() -> None:
    """Argon2id at no less than OWASP's minimum for every demo account; PBKDF2 below 600,000 iterations
    neither verifies nor loads."""
    for encoded, _ in auth.load_users(auth.DEMO_USERS).values():
        assert encoded.startswith("$argon2id$v=19$")
        params = dict(kv.split("=") for kv in encoded.split("$")[3].split(","))
        assert int(params["m"]) >= 19_456 and int(params["t"]) >= 2
    salt = b"0123456789abcdef"

    def pbkdf2(iterations: int) -> str:
        import base64

        digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, iterations)
        encoded = [base64.b64encode(x).decode() for x in (salt, digest)]
        return f"pbkdf2_sha256${iterations}${encoded[0]}${encoded[1]}"

    assert not auth.verify_password("pw", pbkdf2(200_000))
    assert auth.verify_password("pw", pbkdf2(600_000))
    assert not auth.verify_password("px", pbkdf2(600_000))


def test_weak_hash_in_users_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text(
        '[users.old]\nrole = "ministry"\npassword_hash = "pbkdf2_sha256$1000$c2FsdA==$aGFzaA=="\n'
    )
    with pytest.raises(ValueError, match="too cheap"):
        auth.load_users(path)


def test_unknown_user_costs_what_a_wrong_password_costs(users_file: Path) -> None:
    def median_s(name: str) -> float:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            auth.authenticate(name, "wrong", users_file)
            times.append(time.perf_counter() - start)
        return sorted(times)[3]

    known, unknown = median_s("alice"), median_s("nobody")
    assert known > 0.005, "a real hash was computed"
    assert 0.5 < unknown / known < 2.0, (known, unknown)


# --- sessions and developer actions ------------------------------------------------------------------


def _sign_in(at: AppTest, user: str, password: str) -> None:
    at.text_input(key="login_username").input(user)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()


def test_session_rotates_at_sign_in_and_ends_after_idle_time(
    fresh_home: Path, published_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(published_home))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.session_state["planted_before_sign_in"] = "x"
    _sign_in(at, "ministere", "ministere-demo")
    assert not at.exception
    assert "planted_before_sign_in" not in at.session_state, "nothing from before sign-in survives"
    assert at.session_state["auth_user"].username == "ministere"
    # idle longer than the time-out: the next interaction finds the session ended
    at.session_state["auth_last_seen"] = time.time() - auth.DEFAULT_IDLE_MINUTES * 60 - 1
    at.run()
    assert "auth_user" not in at.session_state
    assert at.text_input(key="login_username") is not None
    assert any("inactivité" in i.value for i in at.info)


def test_clear_cache_from_a_browser_is_ignored() -> None:
    """Streamlit clears every user's caches on a browser's `clear_cache` message, signed in or not;
    the apps turn that handler into a no-op."""
    import streamlit as st
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime.app_session import AppSession, AppSessionState

    calls = []

    @st.cache_data
    def cached(x: int) -> int:
        calls.append(x)
        return x

    cached(1)
    disable_cache_clearing()
    session = AppSession.__new__(AppSession)  # only the message dispatch runs: no server needed
    session._state = AppSessionState.SHUTDOWN_REQUESTED  # nothing to shut down when collected
    session.handle_backmsg(BackMsg(clear_cache=True))
    cached(1)
    assert calls == [1], "the cache survived the message"


# --- pseudonym salt --------------------------------------------------------------------------------


def test_marts_use_the_configured_salt(published_home: Path, published_db: Path) -> None:
    """dim_student's keys are sha256(home's pseudonym key || student_code)[:16] for the pupils of the raw
    exports, computed here from the CSV files; the old constant salt gives none of them."""
    import duckdb

    salt = (published_home / "keys" / "pseudonym.key").read_text().strip()
    assert len(salt) == 64 and salt != "massar-dev-salt"
    codes: set[str] = set()  # every Massar code (a letter and nine digits) written in any export file
    for path in (published_home / "exports").rglob("*.csv"):
        codes.update(re.findall(r"\b[A-Z][0-9]{9}\b", path.read_bytes().decode("utf-8", errors="replace")))
    with duckdb.connect(str(published_db), read_only=True) as con:
        keys = {r[0] for r in con.execute("select student_key from marts.dim_student").fetchall()}
    expected = {hashlib.sha256((salt + c).encode()).hexdigest()[:16] for c in codes}
    assert keys and keys <= expected
    assert len(keys) > 0.9 * len(codes)
    constant = {hashlib.sha256(("massar-dev-salt" + c).encode()).hexdigest()[:16] for c in codes}
    assert not keys & constant


def test_dbt_has_no_default_salt() -> None:
    project = (REPO_ROOT / "dbt" / "dbt_project.yml").read_text()
    assert "env_var('MASSAR_PSEUDONYM_SALT')" in project and "massar-dev-salt" not in project
