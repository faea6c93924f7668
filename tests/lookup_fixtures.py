"""A hand-made serving store for the lookup tests: three pupils with known secrets."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dashboards.public.secrets import secret_mac
from warehouse.serving import build_card_table

PUPILS = {
    # code: (secret, first_fr, last_fr, first_ar, last_ar, school, school_fr, school_ar)
    "M100000001": (
        "soleil-42",
        "Salma",
        "Alaoui",
        "سلمى",
        "العلوي",
        "01511A",
        "Ecole Ibn Battouta",
        "مدرسة ابن بطوطة",
    ),
    "M100000002": (
        "lune-17",
        "Youssef",
        "Bennani",
        "يوسف",
        "بناني",
        "04101B",
        "Collège Al Amal",
        "إعدادية الأمل",
    ),
    "M100000003": (
        "etoile-9",
        "Imane",
        "Tazi",
        "إيمان",
        "التازي",
        "04101B",
        "Collège Al Amal",
        "إعدادية الأمل",
    ),
}


def encode(secret: str, code: str, key: bytes | None = None) -> str:
    """The stored form of a secret, under ``key`` (default: the lookup key of the current home)."""
    return secret_mac(code, secret, key)


DDL = """
create schema lookup;
create table lookup.pupil (
    student_code varchar primary key, secret_hash varchar, school_year varchar,
    first_name_fr varchar, last_name_fr varchar, first_name_ar varchar, last_name_ar varchar,
    school_code varchar, school_name_fr varchar, school_name_ar varchar, level_code varchar,
    level_fr varchar, level_ar varchar, class_code varchar, annual_average double, decision varchar,
    decision_fr varchar, decision_ar varchar
);
create table lookup.subject_result (
    student_code varchar, semester integer, subject_code varchar,
    subject_fr varchar, subject_ar varchar, average double, rank_in_class integer, class_size integer
);
create table lookup.absence (student_code varchar, absence_date date, sessions integer, justified boolean);
create table lookup.timetable (
    student_code varchar, weekday integer, session_number integer, subject_fr varchar, subject_ar varchar
);
create table lookup.exam (
    student_code varchar, exam_code varchar, exam_fr varchar, exam_ar varchar, exam_session varchar,
    subject_code varchar, subject_fr varchar, subject_ar varchar, grade double
);
create table lookup.exam_calendar (
    student_code varchar, exam_date date, kind varchar, exam_code varchar, exam_fr varchar, exam_ar varchar,
    exam_session varchar, semester integer, subject_code varchar, subject_fr varchar, subject_ar varchar
);
"""

# The exam calendar of every fixture pupil (1AC): the class's unified maths tests, one per semester.
CALENDAR = (("2025-01-14", 1), ("2025-06-03", 2))


def build_store(path: Path, key: bytes | None = None) -> Path:
    """The store at ``path``; secrets keyed with ``key`` (default: the current home's lookup key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(DDL)
        for i, (code, (secret, ffr, lfr, far, lar, school, sfr, sar)) in enumerate(PUPILS.items(), start=1):
            con.execute(
                "insert into lookup.pupil values (?, ?, '2024-2025', ?, ?, ?, ?, ?, ?, ?, '1AC',"
                " '1ère année collège', 'السنة الأولى إعدادي', ?, ?, 'promote', 'Admis(e)', 'ناجح(ة)')",
                [
                    code,
                    encode(secret, code, key),
                    ffr,
                    lfr,
                    far,
                    lar,
                    school,
                    sfr,
                    sar,
                    f"{school}-1AC-01",
                    10 + i,
                ],
            )
            for semester in (1, 2):
                con.execute(
                    "insert into lookup.subject_result values "
                    "(?, ?, 'MATH', 'Mathématiques', 'الرياضيات', ?, ?, 3)",
                    [code, semester, 9.5 + i + semester / 10, i],
                )
            con.execute(
                "insert into lookup.absence values (?, cast(? as date), 2, ?)",
                [code, f"2024-10-0{i}", i % 2 == 0],
            )
            con.execute("insert into lookup.timetable values (?, 1, 1, 'Mathématiques', 'الرياضيات')", [code])
            for day, semester in CALENDAR:
                con.execute(
                    "insert into lookup.exam_calendar values (?, cast(? as date), 'unified', 'UNI',"
                    " 'Contrôle unifié', 'الفرض الموحد', null, ?, 'MATH', 'Mathématiques', 'الرياضيات')",
                    [code, day, semester],
                )
        build_card_table(con)
    return path


def published_store(home: Path, name: str) -> Path:
    """A serving store (``parent_lookup.duckdb``, ``public_stats.duckdb``) of the version published in
    ``home`` (``serving/<version>/``)."""
    from warehouse.publish import current, stores_dir

    live = current(home / "warehouse" / "published")
    assert live is not None, f"nothing published in {home}"
    return stores_dir(home / "serving", live.version) / name


def publish_store(home: Path, version: str = "v20260601T000000000000Z", key: bytes | None = None) -> Path:
    """``build_store`` as the serving store of a published version of ``home``: the store in
    ``serving/<version>/`` recording its version, ``CURRENT`` naming it and a version file (empty: the public
    app never opens the warehouse)."""
    store = build_store(home / "serving" / version / "parent_lookup.duckdb", key=key)
    with duckdb.connect(str(store)) as con:
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.build as select ? as source", [version])
    published = home / "warehouse" / "published"
    published.mkdir(parents=True, exist_ok=True)
    (published / f"{version}.duckdb").touch()
    (published / "CURRENT").write_text(version + "\n", encoding="utf-8")
    return store
