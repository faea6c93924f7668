"""The parent lookup: one child's results for the holder of the code and secret, nothing for anyone else.

Runs against a hand-made serving store (tests/lookup_fixtures.py) with known secrets, a real SQLite guard
store and the real slow-hash verification.
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
from lookup_fixtures import CALENDAR, PUPILS, build_store, publish_store
from streamlit.testing.v1 import AppTest

from dashboards.i18n import t
from dashboards.public import guard as guard_module
from dashboards.public.certificate import certificate_pdf
from dashboards.public.guard import Guard
from dashboards.public.lookup import lookup
from dashboards.public.store import ServingStore

REPO = Path(__file__).resolve().parents[1]
PUBLIC_APP = REPO / "dashboards" / "public" / "app.py"

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


def test_lockout_after_five_failures_in_fifteen_minutes(store: ServingStore, tmp_path: Path) -> None:
    now = [1_000_000.0]
    guard = Guard(tmp_path / "lock.sqlite", clock=lambda: now[0])
    code, secret = "M100000002", PUPILS["M100000002"][0]
    for attempt in range(guard_module.MAX_FAILURES_PER_CODE):
        assert lookup(code, f"wrong-{attempt}", f"client-{attempt}", store, guard).outcome == "denied"
    # locked now: even the right secret from a fresh client gets nothing
    assert lookup(code, secret, "fresh-client", store, guard).outcome == "locked"
    now[0] += guard_module.WINDOW_SECONDS + 1
    assert lookup(code, secret, "fresh-client", store, guard).outcome == "ok"


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
    assert outcomes.count("throttled") >= 1000 - guard_module.MAX_ATTEMPTS_PER_CLIENT
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
    timing = Guard(tmp_path / "timing.sqlite", clock=lambda: next(ticks) * (guard_module.WINDOW_SECONDS + 1))
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
    # Both paths do one store query and one slow hash: a skipped hash would differ by an order of magnitude.
    assert 0.5 < unknown / wrong < 2.0


def test_certificate_holds_the_right_pupil_and_school(store: ServingStore, guard: Guard) -> None:
    card = lookup("M100000002", PUPILS["M100000002"][0], "c", store, guard).card
    assert card is not None
    text = pypdf.PdfReader(io.BytesIO(certificate_pdf(card.pupil))).pages[0].extract_text()
    assert "Youssef Bennani" in text and "M100000002" in text
    assert "Collège Al Amal" in text and "04101B" in text
    assert "يوسف بناني" in text and "إعدادية الأمل" in text
    assert "Salma" not in text


def test_public_app_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    publish_store(tmp_path)
    at = AppTest.from_file(str(PUBLIC_APP), default_timeout=60)
    at.run()
    assert not at.exception
    at.text_input(key="lookup_code").input("M100000001")
    at.text_input(key="lookup_secret").input("wrong")
    at.button[0].click().run()
    denied = [e.value for e in at.error]
    at.text_input(key="lookup_code").input("M999999999")
    at.button[0].click().run()
    assert [e.value for e in at.error] == denied and denied  # same answer for unknown code and wrong secret
    at.text_input(key="lookup_code").input("M100000001")
    at.text_input(key="lookup_secret").input(PUPILS["M100000001"][0])
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert "Salma Alaoui" in [s.value for s in at.subheader]
    assert at.get("download_button")
    assert f"#### {t('lookup.exam_calendar', 'fr')}" in [m.value for m in at.markdown]
    calendar = at.dataframe[-1].value
    assert list(calendar.columns) == [
        t(f"lookup.col.{k}", "fr") for k in ("exam_date", "exam", "exam_session", "semester", "subject")
    ]
    assert [str(d)[:10] for d in calendar[t("lookup.col.exam_date", "fr")]] == [d for d, _ in CALENDAR]
    assert set(calendar[t("lookup.col.exam", "fr")]) == {"Contrôle unifié"}


def test_public_app_page_in_arabic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    publish_store(tmp_path)
    at = AppTest.from_file(str(PUBLIC_APP), default_timeout=60)
    at.query_params["lang"] = "ar"
    at.run()
    at.text_input(key="lookup_code").input("M100000002")
    at.text_input(key="lookup_secret").input(PUPILS["M100000002"][0])
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert "يوسف بناني" in [s.value for s in at.subheader]
    assert f"#### {t('lookup.exam_calendar', 'ar')}" in [m.value for m in at.markdown]
    calendar = at.dataframe[-1].value
    assert t("lookup.col.exam_date", "ar") in calendar.columns
    assert set(calendar[t("lookup.col.exam", "ar")]) == {"الفرض الموحد"}
    assert set(calendar[t("lookup.col.subject", "ar")]) == {"الرياضيات"}


def test_public_app_imports_no_internal_module() -> None:
    allowed_prefixes = ("dashboards.public", "dashboards.i18n", "dashboards.ui", "massar.settings")
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
                assert not name.startswith(forbidden), (path, name)
                if name.startswith(("dashboards", "massar")):
                    assert name.startswith(allowed_prefixes), (path, name)
