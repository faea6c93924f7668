"""The parent lookup: one child's results for the holder of the code and secret, nothing for anyone else.

Runs against a hand-made serving store (tests/lookup_fixtures.py) with known secrets, a real SQLite guard
store and the real keyed-HMAC verification.
"""

from __future__ import annotations

import ast
import io
import random
import statistics
import time
from pathlib import Path

import pypdf
import pytest
from lookup_fixtures import CALENDAR, PUPILS, build_store

from dashboards.public.certificate import certificate_pdf
from dashboards.public.guard import Guard, Limits
from dashboards.public.lookup import lookup
from dashboards.public.store import ServingStore

REPO = Path(__file__).resolve().parents[1]

INJECTIONS = [
    "' OR '1'='1",
    "M100000001' --",
    "M100000001'; drop table lookup.pupil; --",
    '" or ""="',
    "M100000001 OR 1=1",
    "%",
    "*",
    "M10000000_",
    "\x00M100000001",
    "M100000001\n--",
    "A" * 10_000,
    "١٢٣٤٥٦٧٨٩٠",
    "",
]


@pytest.fixture()
def store(tmp_path: Path) -> ServingStore:
    return ServingStore(build_store(tmp_path / "serving" / "parent_lookup.duckdb"))


@pytest.fixture()
def guard(tmp_path: Path) -> Guard:
    return Guard(tmp_path / "serving" / "state.sqlite")


def test_right_code_and_secret_show_that_pupil_only(store: ServingStore, guard: Guard) -> None:
    for code, (secret, first_fr, *_rest) in PUPILS.items():
        result = lookup(code, secret, "client-a", store, guard)
        assert result.outcome == "ok" and result.card is not None
        assert result.card.pupil["student_code"] == code
        assert result.card.pupil["first_name_fr"] == first_fr
        assert "secret_hash" not in result.card.pupil
        assert set(result.card.subject_results.columns).isdisjoint({"student_code"})
        assert result.card.subject_results.height == 2


def test_the_answer_holds_the_exam_calendar(store: ServingStore, guard: Guard) -> None:
    for code, (secret, *_rest) in PUPILS.items():
        card = lookup(code, secret, "client-cal", store, guard).card
        assert card is not None
        calendar = card.exam_calendar
        assert "student_code" not in calendar.columns
        assert [(str(d), s) for d, s in calendar.select("exam_date", "semester").rows()] == list(CALENDAR)
        assert set(calendar["kind"]) == {"unified"} and set(calendar["subject_ar"]) == {"الرياضيات"}


def test_no_combination_shows_another_pupil(store: ServingStore, guard: Guard) -> None:
    codes = list(PUPILS)
    for code in codes:
        for other in codes:
            result = lookup(code, PUPILS[other][0], f"client-{code}-{other}", store, guard)
            if code == other:
                assert result.card is not None and result.card.pupil["student_code"] == code
            else:
                assert result.outcome == "denied" and result.card is None


def test_unknown_code_and_wrong_secret_get_the_same_answer(store: ServingStore, guard: Guard) -> None:
    unknown = lookup("M999999999", "whatever", "c1", store, guard)
    wrong = lookup("M100000001", "whatever", "c2", store, guard)
    assert unknown.outcome == wrong.outcome == "denied"
    assert unknown.card is None and wrong.card is None


def test_injection_and_oversized_inputs_return_nothing(store: ServingStore, guard: Guard) -> None:
    for i, code in enumerate(INJECTIONS):
        for secret in (PUPILS["M100000001"][0], "' OR '1'='1", "x" * 100_000, ""):
            result = lookup(code, secret, f"inj-{i}", store, guard)
            assert result.card is None, (code[:40], secret[:40])
            assert result.outcome in ("denied", "invalid")
    # the store is intact
    assert lookup("M100000001", PUPILS["M100000001"][0], "after", store, guard).card is not None


def test_back_off_after_five_failures_then_the_right_secret_succeeds(
    store: ServingStore, tmp_path: Path
) -> None:
    now = [1_000_000.0]
    limits = Limits(code_free=5, base_seconds=60, cap_seconds=900)
    guard = Guard(tmp_path / "lock.sqlite", clock=lambda: now[0], limits=limits)
    code, secret = "M100000002", PUPILS["M100000002"][0]
    for attempt in range(5):
        assert lookup(code, f"wrong-{attempt}", f"client-{attempt}", store, guard).outcome == "denied"
    # in the delay: even the right secret from a fresh client waits, and is told how long
    held = lookup(code, secret, "fresh-client", store, guard)
    assert held.outcome == "locked" and held.retry_after == 60
    now[0] += 30
    assert lookup(code, "wrong-again", "attacker", store, guard).outcome == "locked"  # not extended
    now[0] += 30
    assert lookup(code, secret, "fresh-client", store, guard).outcome == "ok"
    # delays double with each failure past the free ones: 60, 120, 240 s (hand-computed), capped
    for attempt in range(5):
        assert lookup(code, f"wrong-{attempt}", "attacker", store, guard).outcome == "denied"
    delays = []
    for _ in range(3):
        held = lookup(code, "guess", "attacker", store, guard)
        now[0] += held.retry_after
        assert lookup(code, "guess", "attacker", store, guard).outcome == "denied"
        delays.append(held.retry_after)
    assert delays == [60, 120, 240]


def test_audit_log_keeps_no_secret(store: ServingStore, guard: Guard) -> None:
    lookup("M100000001", "my-secret-value", "client-z", store, guard)
    lookup("M100000001", PUPILS["M100000001"][0], "client-z", store, guard)
    rows = guard.audit_rows()
    assert [(code, client, outcome) for _, code, client, outcome in rows] == [
        ("M100000001", "client-z", "denied"),
        ("M100000001", "client-z", "ok"),
    ]
    raw = guard.path.read_bytes() + b"".join(p.read_bytes() for p in guard.path.parent.glob("*-wal"))
    assert b"my-secret-value" not in raw and PUPILS["M100000001"][0].encode() not in raw


def test_enumeration_is_stopped_and_timing_does_not_tell(store: ServingStore, tmp_path: Path) -> None:
    timing_store = store
    """1,000 lookups with random and sequential codes, from one client and from many."""
    rng = random.Random(7)
    sequential = [f"M1000{n:05d}" for n in range(100, 600)]  # not the three real pupils' codes
    random_codes = [f"{rng.choice('ABMPS')}{rng.randrange(10**9):09d}" for _ in range(500)]
    single = Guard(tmp_path / "single.sqlite")
    outcomes = [lookup(c, "guess", "attacker", store, single).outcome for c in sequential + random_codes]
    assert outcomes.count("throttled") >= 1000 - Limits().client_free
    # A distributed attacker (a new client per request) hits the per-code lockout instead.
    spread = Guard(tmp_path / "spread.sqlite")
    cards = [
        lookup(c, "guess", f"bot-{i}", store, spread).card for i, c in enumerate(sequential + random_codes)
    ]
    assert all(card is None for card in cards)
    target = [lookup("M100000003", f"guess-{i}", f"bot-x{i}", store, spread).outcome for i in range(8)]
    assert target[:5] == ["denied"] * 5 and set(target[5:]) == {"locked"}

    # Timing: unknown codes vs known codes with a wrong secret. The guard's clock jumps past the window
    # at every call, so that no lockout cuts the known codes' path short.
    ticks = iter(range(1, 10**6))
    timing = Guard(tmp_path / "timing.sqlite", clock=lambda: next(ticks) * (Limits().window_seconds + 1))
    samples: dict[str, list[float]] = {"unknown": [], "wrong": []}
    for i in range(200):
        for kind, code in (("unknown", f"M9{i:08d}"), ("wrong", list(PUPILS)[i % 3])):
            started = time.perf_counter()
            result = lookup(code, "not-the-secret", f"t-{kind}", timing_store, timing)
            samples[kind].append(time.perf_counter() - started)
            assert result.outcome == "denied"
    unknown, wrong = statistics.median(samples["unknown"]), statistics.median(samples["wrong"])
    print(
        f"\nmedian lookup time: unknown code {unknown * 1000:.2f} ms, wrong secret {wrong * 1000:.2f} ms, "
        f"difference {abs(unknown - wrong) * 1000:.2f} ms"
    )
    # Both paths do one store query and one HMAC (tests/test_portal.py counts them).
    assert 0.5 < unknown / wrong < 2.0


def test_certificate_holds_the_right_pupil_and_school(store: ServingStore, guard: Guard) -> None:
    card = lookup("M100000002", PUPILS["M100000002"][0], "c", store, guard).card
    assert card is not None
    text = pypdf.PdfReader(io.BytesIO(certificate_pdf(card.pupil))).pages[0].extract_text()
    assert "Youssef Bennani" in text and "M100000002" in text
    assert "Collège Al Amal" in text and "04101B" in text
    assert "يوسف بناني" in text and "إعدادية الأمل" in text
    assert "Salma" not in text


def test_public_app_imports_no_internal_module() -> None:
    allowed_prefixes = (
        "dashboards.public",
        "dashboards.i18n",
        "dashboards.ui",
        "dashboards.hardening",
        "dashboards.sqlite_wal",
        "dashboards.pdf",  # the documents' page set-up (fpdf2 and the public fonts), nothing internal
        "massar.settings",
    )
    forbidden = (
        "dashboards.data_access",
        "dashboards.auth",
        "dashboards.app",
        "ingestion",
        "dags",
        "warehouse",
    )
    for path in (REPO / "dashboards" / "public").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if path == REPO / "dashboards" / "public" / "store.py" and name == "warehouse.publish":
                    continue  # the published-version pointer, read by its one definition (opens nothing)
                assert not name.startswith(forbidden), (path, name)
                if name.startswith(("dashboards", "massar")):
                    assert name.startswith(allowed_prefixes), (path, name)
