"""The directorates' absence alerts (``dashboards.alerts``) on the session's published warehouse.

- The daily DAG's ``send_absence_alerts`` task, run by Airflow (``dag.test()``), e-mails a subscriber through
  Airflow's SMTP notifier to a real SMTP server started here (aiosmtpd on 127.0.0.1): the message received
  names the territory and every school expected, in French and in Arabic. The expected schools are
  recomputed here from the class-day mart with polars (the spike rule) and from the classes' own recording
  statuses, not through the alert queries.
- Acknowledging an alert on the absence page (AppTest) takes it off the open list.
- A province user cannot subscribe to another region, nor to their whole region.
"""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date
from email import policy
from pathlib import Path

import duckdb
import polars as pl
import pytest
from page_test_support import run_page, served_like_massar_serve

from dashboards import absence_rules as rule
from dashboards import alerts
from dashboards.scope import NATIONAL, Scope, ScopeError

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here

EMAIL = "direction@example.org"
OTHER_EMAIL = "autre.direction@example.org"


class Inbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def clean_store(published_home: Path) -> Iterator[None]:
    """An empty alert store in the session home before and after the test."""

    def remove() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{alerts.store_path()}{suffix}").unlink(missing_ok=True)

    remove()
    yield
    remove()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on a free local port, and the MASSAR settings pointing at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.delenv(alerts.SMTP_CONN_ENV, raising=False)  # built from the settings below (and restored)
    monkeypatch.setenv("MASSAR_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MASSAR_ALERT_SMTP_PORT", str(port))
    monkeypatch.setenv("MASSAR_ALERT_EMAIL_FROM", "alertes@example.org")
    monkeypatch.setenv(alerts.BASE_URL_ENV, "https://tableau.example.org/")
    try:
        yield inbox
    finally:
        server.stop()


def _class_days(db: Path) -> pl.DataFrame:
    """The class days of the latest school year."""
    with duckdb.connect(str(db), read_only=True) as con:
        year = con.sql("select max(school_year) from marts.agg_absence_class_daily").fetchall()[0][0]
        facts = con.sql(
            "select region_code, province_code, school_code, class_code, calendar_date, school_day_number, "
            "pupils_enrolled, pupils_absent, recording_status "
            "from marts.agg_absence_class_daily where school_year = ?",
            params=[year],
        ).pl()
    return facts


def _school_spikes(facts: pl.DataFrame, day_number: int) -> set[str]:
    """Schools whose absence rate on school day ``day_number`` is a spike: above the mean of their previous
    SPIKE_WINDOW school days by more than SPIKE_K sample deviations (at least SPIKE_MIN_DAYS previous days,
    SPIKE_MIN_ABSENT absent pupils); days whose region sent no file do not count."""
    daily = (
        facts.filter(
            (pl.col("recording_status") != "no_file_received")
            & pl.col("school_day_number").is_between(day_number - rule.SPIKE_WINDOW, day_number)
        )
        .group_by("school_code", "school_day_number")
        .agg(pl.col("pupils_enrolled").sum(), pl.col("pupils_absent").sum())
        .with_columns((pl.col("pupils_absent") / pl.col("pupils_enrolled")).alias("rate"))
        .sort("school_code", "school_day_number")
    )
    spikes = set()
    for (school,), days in daily.group_by("school_code"):
        today = days.filter(pl.col("school_day_number") == day_number)
        before = days.filter(pl.col("school_day_number") < day_number)["rate"].drop_nulls()
        if today.height == 0 or before.len() < rule.SPIKE_MIN_DAYS:
            continue
        rate, absent = today["rate"][0], today["pupils_absent"][0]
        sd = before.std() or 0.0  # sample deviation (ddof 1)
        if rate is not None and absent >= rule.SPIKE_MIN_ABSENT and rate > before.mean() + rule.SPIKE_K * sd:
            spikes.add(school)
    return spikes


def _unrecorded_schools(facts: pl.DataFrame, day: date) -> set[str]:
    """Schools where at least one class with pupils took no roll call that day (region's file received)."""
    return set(
        facts.filter(
            (pl.col("calendar_date") == day)
            & (pl.col("pupils_enrolled") > 0)
            & (pl.col("recording_status") == "not_recorded")
        )["school_code"]
    )


def _school_names(db: Path) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.sql("select school_code, school_name_fr, school_name_ar from marts.dim_school").fetchall()
    return {code: (fr, ar) for code, fr, ar in found}


def _region_names(db: Path, region: str) -> tuple[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select name_fr, name_ar from reference.code_regions where region_code = ?", [region]
        ).fetchall()[0]


def _html(message: email.message.EmailMessage) -> str:
    return next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")


def test_daily_dag_emails_the_days_alerts_to_the_subscribers(
    published_db: Path, clean_store: None, smtp: Inbox
) -> None:
    from massar.orchestration import load_dagbag, prepare_airflow

    facts = _class_days(published_db)
    # the latest school day with a school spike: the message then holds both kinds of alert
    days = (
        facts.select("school_day_number", "calendar_date").unique().sort("school_day_number", descending=True)
    )
    day_number, day, spiking = next(
        (n, d, found) for n, d in days.iter_rows() if (found := _school_spikes(facts, n))
    )
    region = facts.filter(pl.col("school_code").is_in(list(spiking)))["region_code"][0]
    in_region = facts.filter(pl.col("region_code") == region)
    want_spikes = _school_spikes(in_region, day_number)
    want_missing = _unrecorded_schools(in_region, day)
    quiet_regions = sorted(
        set(facts["region_code"])
        - set(facts.filter(pl.col("school_code").is_in(list(_unrecorded_schools(facts, day))))["region_code"])
        - {region}
    )
    alerts.subscribe(EMAIL, region, alerts.KINDS)
    alerts.subscribe(OTHER_EMAIL, quiet_regions[0], ["missing_recording"])  # nothing to send there that day

    prepare_airflow()
    bag = load_dagbag()
    # the alerts read what was just published
    assert "publish" in bag.get_dag("massar_daily").get_task("send_absence_alerts").upstream_task_ids
    dag = bag.get_dag("massar_daily").partial_subset(
        task_ids=["the_day", "send_absence_alerts"], include_upstream=False, include_downstream=False
    )
    dag.deadline = None  # evaluated by the scheduler only (massar.orchestration.run_dag does the same)
    run = dag.test(run_conf={"day": day.isoformat()})
    assert str(run.state).split(".")[-1].lower() == "success"

    assert [to for to, _ in smtp.messages] == [[EMAIL]]
    message = smtp.messages[0][1]
    region_fr, region_ar = _region_names(published_db, region)
    subject = message["Subject"]
    assert region_fr in subject and region_ar in subject and day.strftime("%d/%m/%Y") in subject
    body = _html(message)
    assert 'lang="fr"' in body and 'lang="ar"' in body and 'dir="rtl"' in body
    assert "Alertes d&#x27;absence du" in body and "تنبيهات الغياب ليوم" in body
    assert f"https://tableau.example.org/absence_monitoring?region={region}&amp;lang=fr" in body
    names = _school_names(published_db)
    assert want_spikes, "the day was chosen for its spike"
    for school in want_spikes | want_missing:
        fr, ar = names[school]
        assert school in body and fr in body and ar in body, school
    named = {s for s in names if f"({s})" in body}
    assert named == want_spikes | want_missing

    # recorded once per kind, school and day; a second run sends nothing again
    recorded = alerts.open_alerts(region=region, day=day)
    assert {(a["kind"], a["school_code"]) for a in recorded} == {("spike", s) for s in want_spikes} | {
        ("missing_recording", s) for s in want_missing
    }
    summary = alerts.send_alerts(day)
    assert summary["messages"] == 0 and len(smtp.messages) == 1
    assert len(alerts.open_alerts(region=region, day=day)) == len(recorded)


def test_acknowledging_on_the_page_closes_the_alert(published_db: Path, clean_store: None) -> None:
    from dashboards.data_access import alerts as da

    facts = _class_days(published_db)
    day = facts["calendar_date"].max()
    alerts.record_alerts(day)
    missing = _unrecorded_schools(facts, day)
    assert missing, "the synthetic country has schools without a roll call on its last day"
    school = sorted(missing)[0]
    region = facts.filter(pl.col("school_code") == school)["region_code"][0]
    scope = Scope("region", region_code=region)
    before = da.open_alerts(scope=scope)
    target = before.filter((pl.col("school_code") == school) & (pl.col("kind") == "missing_recording"))
    alert_id = int(target["alert_id"][0])

    # the section reads in Arabic without a Latin word (school codes aside) or a raw value
    from page_text import page_texts
    from test_page_texts import latin_words, raw_value_problems

    arabic = run_page("absence_monitoring", scope, "ar", display_name="مستعمل الاختبار")
    texts = [text for _, text in page_texts(arabic)]
    assert any(f"({school})" in text for text in texts)
    assert not [text for text in texts if latin_words(text) or raw_value_problems(text, "ar")]

    at = run_page("absence_monitoring", scope, "fr")
    at.multiselect(key="alerts_ack").set_value([alert_id])
    at.button(key="alerts_ack_button").click().run()
    assert not at.exception, [e.value for e in at.exception]

    after = da.open_alerts(scope=scope)
    assert alert_id not in after["alert_id"].to_list()
    assert after.height == before.height - 1
    assert alerts.get_alert(alert_id)["acknowledged_by"] == "tester"
    assert any("1 alerte(s) acquittée(s)" in s.value for s in at.success)
    listed = at.dataframe[-1].value if after.height else None  # the open alerts' table
    if listed is not None:
        assert not listed[listed.columns[2]].str.contains(f"({school})", regex=False).any()
    # another region's user cannot acknowledge it (it was not theirs to see)
    other = next(r for r in sorted(set(facts["region_code"])) if r != region)
    with pytest.raises(ScopeError):
        da.acknowledge(scope=Scope("region", region_code=other), alert_ids=[int(before["alert_id"][-1])])


def test_a_province_user_subscribes_only_within_the_province(published_db: Path, clean_store: None) -> None:
    from dashboards.data_access import alerts as da

    facts = _class_days(published_db)
    region, province = facts.select("region_code", "province_code").sort("province_code").row(0)
    other_region = next(r for r in sorted(set(facts["region_code"])) if r != region)
    user = Scope("province", region_code=region, province_code=province)
    with pytest.raises(ScopeError):  # another region
        da.subscribe(scope=user, region=other_region, email=EMAIL)
    with pytest.raises(ScopeError):  # their own region is wider than their scope
        da.subscribe(scope=user, region=region, email=EMAIL)
    other_province = next(p for p in sorted(set(facts["province_code"])) if p != province)
    with pytest.raises(ScopeError):
        da.subscribe(scope=user, region=other_province[:2], province=other_province, email=EMAIL)
    assert alerts.subscriptions() == []
    da.subscribe(scope=user, region=region, province=province, email=EMAIL, user="tester")
    assert [(s["email"], s["territory_code"]) for s in alerts.subscriptions()] == [(EMAIL, province)]
    with pytest.raises(da.AlertError):
        da.subscribe(scope=user, province=province, email="not an address")
    # the ministry may subscribe anywhere; a school user nowhere
    da.subscribe(scope=NATIONAL, region=other_region, email=OTHER_EMAIL)
    school = facts.filter(pl.col("province_code") == province)["school_code"][0]
    with pytest.raises(ScopeError):
        da.subscribe(
            scope=Scope("school", region_code=region, province_code=province, school_code=school),
            region=region,
            province=province,
            email=EMAIL,
        )
    assert da.subscriptions(scope=user)["territory_code"].to_list() == [province]


def test_the_subscribe_form_records_a_subscription(published_db: Path, clean_store: None) -> None:
    facts = _class_days(published_db)
    region, province = facts.select("region_code", "province_code").sort("province_code").row(0)
    at = run_page("absence_monitoring", Scope("province", region_code=region, province_code=province), "ar")
    assert at.selectbox(key="alerts_territory").value == province  # their province, the only choice
    assert len(at.selectbox(key="alerts_territory").options) == 1
    at.text_input(key="alerts_email").input(EMAIL)
    at.button(key="alerts_subscribe_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [(s["email"], s["territory_code"]) for s in alerts.subscriptions()] == [(EMAIL, province)]


def test_operational_alerts_are_emailed_through_the_same_notifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: Inbox
) -> None:
    import json

    from massar.orchestration import alerts_log, on_task_failure

    monkeypatch.setenv("MASSAR_HOME", str(tmp_path))
    monkeypatch.setenv("MASSAR_ALERT_EMAIL_TO", "exploitation@example.org")
    ti = type("TI", (), {"dag_id": "massar_daily", "task_id": "publish", "map_index": -1, "run_id": "r1"})()
    on_task_failure({"task_instance": ti, "exception": RuntimeError("disk full")})
    assert json.loads(alerts_log().read_text(encoding="utf-8"))["task_id"] == "publish"
    assert [to for to, _ in smtp.messages] == [["exploitation@example.org"]]
    message = smtp.messages[0][1]
    assert message["Subject"] == "[massar] task_failed: massar_daily publish"
    assert "disk full" in _html(message) and message["From"] == "alertes@example.org"
