"""Helpers of the AppTest page tests (``tests/test_page_*.py``).

Pages are run in the real app (``dashboards/app.py``) as a signed-in user of each role; expected numbers
are computed by SQL run directly on the published warehouse file, and parsed back from the page's display
strings (``6,5`` / ``48,7 %`` in French, ``6.5`` / ``48.7%`` in Arabic).
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `dashboards` is imported as a package from the repository root
    sys.path.insert(0, str(REPO_ROOT))

from dashboards.auth import User  # noqa: E402
from dashboards.scope import NATIONAL, ROLES, Scope  # noqa: E402

DASHBOARDS = REPO_ROOT / "dashboards"
APP = DASHBOARDS / "app.py"
TIMEOUT = 90
ARABIC = re.compile(r"[\u0600-\u06FF]")
LANGS = ("fr", "ar")


def warehouse_file(home: Path) -> Path:
    published = home / "warehouse" / "published"
    version = (published / "CURRENT").read_text(encoding="utf-8").strip().removesuffix(".duckdb")
    return published / f"{version}.duckdb"


def rows(db: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of a parameterized query on a warehouse file (read-only)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def identity_rows(db: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    """``rows`` with the restricted file of the current home attached (read-only) as ``identity``: the
    pupils' identity is never in the warehouse file (``identity.restricted.student_identity``)."""
    from massar.settings import paths

    with duckdb.connect(str(db), read_only=True) as con:
        # connections to one file share its database instance: attach for this query only
        con.execute("attach if not exists ? as identity (read_only)", [str(paths().restricted_db)])
        try:
            return con.execute(query, list(params)).fetchall()
        finally:
            con.execute("detach database if exists identity")


def value(db: Path, query: str, *params: object) -> Any:
    return rows(db, query, *params)[0][0]


def sql(home: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of a query on the warehouse published in ``home``."""
    return rows(warehouse_file(home), query, *params)


def sql_value(home: Path, query: str, *params: object) -> Any:
    return sql(home, query, *params)[0][0]


def labels(lang: str) -> dict[str, str]:
    folder = DASHBOARDS / "i18n"
    data: dict[str, str] = {}
    for path in (folder / f"{lang}.json", *folder.glob(f"*.{lang}.json")):
        data.update(json.loads(path.read_text(encoding="utf-8")))
    return data


def role_scopes(region: str, province: str, school: str) -> dict[str, Scope]:
    """Each role's scope (ministry, region, province, school) over one school, its province and region."""
    return {
        "ministry": NATIONAL,
        "region": Scope("region", region_code=region),
        "province": Scope("province", region_code=region, province_code=province),
        "school": Scope("school", region_code=region, province_code=province, school_code=school),
    }


@dataclass(frozen=True)
class Territories:
    """A region, province and school of the published warehouse (the largest school with grades)."""

    year: str
    region: str
    province: str
    school: str

    def scope(self, role: str) -> Scope:
        return role_scopes(self.region, self.province, self.school)[role]

    def where(self, role: str, alias: str = "") -> tuple[str, list[str]]:
        """An SQL condition (constant text for the test) and its parameters restricting to the role's
        territory, on a table with region_code / province_code / school_code (``alias.`` prefixed)."""
        prefix = f"{alias}." if alias else ""
        if role == "ministry":
            return "true", []
        if role == "region":
            return f"{prefix}region_code = ?", [self.region]
        if role == "province":
            return f"{prefix}province_code = ?", [self.province]
        return f"{prefix}school_code = ?", [self.school]


def pick_territories(home: Path, year: str | None = None) -> Territories:
    year = year or str(sql_value(home, "select max(school_year) from marts.fct_enrollment"))
    # the largest school with grades (a preschool has none)
    school, province, region = sql(
        home,
        "select school_code, province_code, region_code from marts.fct_enrollment where school_year = ? "
        "and school_code in (select school_code from marts.fct_subject_average where school_year = ?) "
        "group by all order by count(*) desc, school_code limit 1",
        year,
        year,
    )[0]
    return Territories(year=year, region=region, province=province, school=school)


ROLE_IDS = list(ROLES)


@pytest.fixture(autouse=True)
def served_like_massar_serve() -> Iterator[None]:
    previous = st.get_option("server.enableStaticServing")
    st_config.set_option("server.enableStaticServing", True)
    yield
    st_config.set_option("server.enableStaticServing", previous)
    st.cache_data.clear()
    st.cache_resource.clear()


class Downloads:
    """Captures the bytes of every ``st.download_button`` (AppTest keeps them in a media storage that is
    gone once the run ends)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: dict[str, bytes] = {}
        original = MemoryMediaFileStorage.load_and_get_id

        def spy(
            storage: MemoryMediaFileStorage, path_or_data: Any, mimetype: str, kind: Any, filename: Any = None
        ):
            file_id = original(storage, path_or_data, mimetype, kind, filename)
            self.files[file_id] = storage._files_by_id[file_id].content
            return file_id

        monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)

    def content(self, at: AppTest, key: str) -> bytes:
        button = next(b for b in at.get("download_button") if key in b.proto.id)
        file_id = Path(button.proto.url).stem
        return self.files[file_id]


def run_page(
    page: str,
    scope: Scope,
    lang: str,
    query_params: dict[str, str] | None = None,
    *,
    deep_link: bool = False,
    display_name: str = "Tester",
    user: User | None = None,
) -> AppTest:
    """The app on ``app_pages/<page>.py``, signed in with ``scope`` (as ``user`` when given, its scope
    replaced), in ``lang``: opened from the home page, or with ``deep_link`` straight on the page (as a
    link to it does)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, val in (query_params or {}).items():
        at.query_params[key] = val
    signed_in = replace(user, scope=scope) if user is not None else User("tester", display_name, scope)
    at.session_state["auth_user"] = signed_in
    if not deep_link:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def parse_number(text: str, lang: str) -> float | None:
    """A displayed number back to a float (``–`` = None): ``1 234,5`` / ``48,7 %`` in French,
    ``1,234.5`` / ``48.7%`` in Arabic."""
    if text is None or isinstance(text, (int, float)):
        return None if text is None or text != text else float(text)
    text = text.strip().replace("\u2066", "").replace("\u2069", "")
    if text == "–":
        return None
    percent = text.endswith("%")
    text = text.rstrip("%").replace("\u202f", "").strip()
    text = text.replace(",", ".") if lang == "fr" else text.replace(",", "")
    value = float(text)
    return value / 100 if percent else value


def assert_displayed(text: str, expected: float | None, digits: int, lang: str) -> None:
    """A displayed number equals ``expected`` rounded as shown (``digits`` after the point)."""
    got = parse_number(text, lang)
    if expected is None:
        assert got is None, text
        return
    assert got is not None, text
    assert abs(got - expected) <= 0.5 * 10**-digits + 1e-9, (text, expected)


def as_int(text: str) -> int:
    """A displayed whole number (any separators) as an int."""
    if isinstance(text, (int, float)):
        return int(text)
    return int(re.sub(r"\D", "", text))


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, f"metric {label!r} not in {[m.label for m in at.metric]}"
    return values[0]


def assert_language(at: AppTest, lang: str, title_key: str) -> None:
    """Title in the language, right-to-left stylesheet for Arabic only."""
    text = labels(lang)
    assert at.title[0].value == text[title_key]
    rtl = any("direction: rtl" in str(h.proto.body) for h in at.get("html"))
    assert rtl is (lang == "ar")
    if lang == "ar":
        assert ARABIC.search(at.title[0].value)


def array_values(value: Any) -> list[Any]:
    """A plotly JSON array: a list, or a typed array ``{"dtype", "bdata"[, "shape"]}`` (plotly >= 6)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


def charts_or_notices(at: AppTest) -> int:
    """Charts drawn, plus the "nothing to draw" notices shown instead of a chart whose values are all zero
    or missing (``dashboards.exports.show_chart``)."""
    notices = {labels(lang)["export.no_data"] for lang in LANGS}
    hidden = sum(1 for i in at.info if any(str(i.value).endswith(n) for n in notices))
    return len(at.get("plotly_chart")) + hidden


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_titled(at: AppTest, title: str) -> dict[str, Any]:
    specs = chart_specs(at)
    # a long title is wrapped on word boundaries (``<br>``) so that plotly does not cut it
    found = [
        s for s in specs if (s["layout"].get("title", {}).get("text") or "").replace("<br>", " ") == title
    ]
    assert len(found) == 1, (title, [s["layout"].get("title", {}).get("text") for s in specs])
    return found[0]
