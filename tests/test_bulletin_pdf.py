"""The semester report card of the parent portal, on the store the session pipeline published: served to
the browser that did the lookup, in French and in Arabic; its figures equal the marts' (computed here
with SQL on the published warehouse); its verification code verifies on the public verify page and a
tampered one does not.

The portal runs in process (Starlette's test client on ``create_app()``), on the session home.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pypdf
import pytest
from lookup_fixtures import published_store
from portal_support import demo_secrets
from starlette.testclient import TestClient

from dashboards.public.portal.app import create_app

ARABIC = re.compile(r"[\u0600-\u06FF]")
ISOLATES = str.maketrans("", "", "\u2066\u2069")
CODE = re.compile(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})")
FRENCH_LABELS = (
    "Bulletin",
    "Matière",
    "Moyenne",
    "Élève",
    "Coefficient",
    "Rang",
    "Absences",
    "Établissement",
)


def _one(db: Path, sql: str, *params: object) -> Any:
    """Rows of a query on the warehouse file, with the home's restricted file attached as ``identity``."""
    from massar.settings import paths

    with duckdb.connect(str(db), read_only=True) as con:
        # connections to one file share its database instance: attach for this query only
        con.execute("attach if not exists ? as identity (read_only)", [str(paths().restricted_db)])
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.execute("detach database if exists identity")


def _fr(value: float | None) -> str:
    """Two decimals, French style (computed here, not by Babel); a dash when there is no mark."""
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


@pytest.fixture(scope="module")
def pupil(published_home: Path) -> dict[str, Any]:
    """A pupil with a parent secret whose latest year has both semesters graded, a decision, and
    absences in the second semester when there is one."""
    secrets = demo_secrets(published_home)
    store = published_store(published_home, "parent_lookup.duckdb")
    rows = _one(
        store,
        """
        select student_code,
            len(list_filter(absences, lambda a: a.semester = 2)) as s2_absences
        from lookup.card
        where decision is not null
            and len(list_filter(subject_results, lambda r: r.semester = 2)) > 0
            and len(list_filter(subject_results, lambda r: r.semester = 1)) > 0
        order by s2_absences desc, student_code
        """,
    )
    code = next(c for c, _ in rows if c in secrets)
    return {"code": code, "secret": secrets[code]}


def _expected(db: Path, code: str, semester: int) -> dict[str, Any]:
    """The card's figures from the marts: subject averages and coefficients, general average, rank,
    class size, decision label, sessions missed and justified in the semester."""
    key, year = _one(
        db,
        """
        select i.student_key, max(e.school_year)
        from identity.restricted.student_identity as i
        join marts.fct_enrollment as e on e.student_key = i.student_key
        where i.student_code = ? group by i.student_key
        """,
        code,
    )[0]
    subjects = _one(
        db,
        "select subject_code, subject_average, coefficient from marts.fct_subject_average "
        "where student_key = ? and school_year = ? and semester = ?",
        key,
        year,
        semester,
    )
    general, rank, size = _one(
        db,
        "select general_average, rank_in_class, class_pupils_ranked from marts.fct_semester_result "
        "where student_key = ? and school_year = ? and semester = ?",
        key,
        year,
        semester,
    )[0]
    decision = _one(
        db,
        "select d.label_fr, d.label_ar from marts.fct_annual_result as a "
        "join reference.code_decisions as d on a.decision = d.decision "
        "where a.student_key = ? and a.school_year = ?",
        key,
        year,
    )
    missed, justified = _one(
        db,
        "select coalesce(sum(a.sessions_missed), 0), coalesce(sum(a.sessions_justified), 0) "
        "from marts.fct_absence_daily as a join marts.dim_calendar as c "
        "on a.school_year = c.school_year and a.absence_date = c.calendar_date "
        "where a.student_key = ? and a.school_year = ? and c.semester = ?",
        key,
        year,
        semester,
    )[0]
    return {
        "year": year,
        "subjects": subjects,
        "general": general,
        "rank": rank,
        "size": size,
        "decision": decision[0][0] if decision else None,
        "decision_ar": decision[0][1] if decision else None,
        "missed": int(missed),
        "justified": int(justified),
    }


@pytest.fixture(scope="module")
def session(published_home: Path, pupil: dict[str, Any]) -> Iterator[tuple[TestClient, str]]:
    """A browser that looked the pupil up in French, and the answer page."""
    client = TestClient(create_app())
    answer = client.post("/fr/lookup", data={"code": pupil["code"], "secret": pupil["secret"]})
    assert answer.status_code == 200 and "/fr/bulletin?" in answer.text, answer.text[:2000]
    yield client, answer.text
    client.close()


def _link(html: str, lang: str, semester: int) -> str:
    found = re.search(rf'href="(/{lang}/bulletin\?t=[^"]+&amp;semester={semester})"', html)
    assert found, html
    return found.group(1).replace("&amp;", "&")


def _text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_french_card_has_the_marts_figures(
    session: tuple[TestClient, str], pupil: dict[str, Any], published_db: Path
) -> None:
    client, html = session
    for semester in (1, 2):
        response = client.get(_link(html, "fr", semester))
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        text = _text(response.content)
        expected = _expected(published_db, pupil["code"], semester)
        assert pupil["code"] in text and expected["year"] in text and f"semestre {semester}" in text
        assert "Direction provinciale" in text and "Établissement" in text and "Niveau" in text
        assert expected["subjects"]
        for _, average, coefficient in expected["subjects"]:
            assert _fr(average) in text
            if coefficient is not None:
                assert f" {coefficient:g} " in f" {text} ".replace("\n", " ")
        assert f"Moyenne du semestre {_fr(expected['general'])}" in text
        assert f"{expected['rank']} / {expected['size']}" in text
        assert f"{expected['missed']} séance(s) manquée(s), dont {expected['justified']} justifiée(s)" in text
        if semester == 2:
            assert f"Décision de fin d'année : {expected['decision']}" in text
        else:
            assert "Décision" not in text
        assert date.today().strftime("%d/%m/%Y") in text and "directeur" in text
        assert CODE.search(text)


def test_arabic_card_is_arabic_and_shaped(
    session: tuple[TestClient, str], pupil: dict[str, Any], published_db: Path
) -> None:
    client, html = session
    response = client.get(_link(html, "ar", 2))  # the Arabic link of the French page
    assert response.status_code == 200
    text = _text(response.content).translate(ISOLATES)
    expected = _expected(published_db, pupil["code"], 2)
    assert "بيان النقط" in text and "المعدل" in text and "الترتيب في القسم" in text
    assert (
        expected["decision"] is not None
        and _one(
            published_db,
            "select label_ar from reference.code_decisions where label_fr = ?",
            expected["decision"],
        )[0][0]
        in text
    )
    assert len(ARABIC.findall(text)) > 200
    for label in FRENCH_LABELS:
        assert label not in text, label
    assert f"{expected['rank']} / {expected['size']}" in text and pupil["code"] in text
    # shaped: the embedded font maps several glyphs (contextual forms) to the same Arabic letter
    page = pypdf.PdfReader(io.BytesIO(response.content)).pages[0]
    forms = 0
    for font in page["/Resources"]["/Font"].values():
        cmap = font.get_object()["/ToUnicode"].get_object().get_data().decode("latin-1")
        forms = max(forms, cmap.upper().count("<0644>"))  # lam: isolated, initial, medial, final
    assert forms >= 2


def test_card_is_for_the_browser_that_looked_up_only(session: tuple[TestClient, str]) -> None:
    client, html = session
    link = _link(html, "fr", 1)
    with TestClient(create_app()) as other:
        assert other.get(link).status_code == 403  # no session cookie
    assert client.get(link.replace("semester=1", "semester=7")).status_code == 403
    assert client.get(link.replace("/fr/", "/ar/")).status_code == 403  # the token is bound to French


def test_card_code_verifies_and_a_tampered_one_does_not(
    session: tuple[TestClient, str], pupil: dict[str, Any], published_db: Path
) -> None:
    client, html = session
    text = _text(client.get(_link(html, "fr", 2)).content)
    printed = CODE.search(text)
    assert printed, text
    code = printed.group(1)
    expected = _expected(published_db, pupil["code"], 2)
    today = date.today().isoformat()

    def verify(massar: str, issued: str, verification: str, lang: str = "fr") -> str:
        page = client.post(
            f"/{lang}/verify", data={"code": massar, "issued": issued, "verification": verification}
        )
        assert page.status_code == 200
        return page.text

    valid = verify(pupil["code"], today, code.lower().replace("-", " "))
    assert "Bulletin valide" in valid and "semestre 2" in valid
    assert _fr(expected["general"]) in valid and f"{expected['rank']} / {expected['size']}" in valid
    valid_ar = verify(pupil["code"], today, code, "ar")
    assert "بيان نقط صحيح" in valid_ar
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for massar, issued, verification in (
        (pupil["code"], today, tampered),  # one symbol changed
        (pupil["code"], "2020-01-01", code),  # another issue date
    ):
        page = verify(massar, issued, verification)
        assert "Document non valide" in page and "Bulletin valide" not in page
