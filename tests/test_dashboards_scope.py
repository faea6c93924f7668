"""Roles and territory: the scope is enforced by the data-access layer, and the internal app needs a sign-in.

Expected numbers come from SQL run directly on the published warehouse of the real pipeline run.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data_access
from dashboards.auth import authenticate, hash_password, load_users, verify_password
from dashboards.data_access import enrollment as da
from dashboards.scope import NATIONAL, Scope, ScopeError

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
REGION_01 = Scope("region", region_code="01")
OTHER_REGION = "06"


def _sql(db: Path, sql: str, *params: object) -> object:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchone()[0]


def _year(db: Path) -> str:
    return str(_sql(db, "select max(school_year) from marts.agg_enrollment_by_region"))


# functions that are the same for everyone: reference data
UNSCOPED: frozenset[str] = frozenset(
    {"enrollment.cycles", "enrollment.levels", "enrollment.level_label", "kpi.help_text"}
)
# functions that record something (their own arguments are needed beyond the scope): only the refusal
# outside the scope is checked here; tests/test_alerts.py checks them within it
RECORDING: frozenset[str] = frozenset({"alerts.subscribe"})


def _query_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of every ``dashboards.data_access`` submodule, as ``module.function``."""
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(data_access.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{data_access.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{info.name}.{name}"] = fn
    return found


def _call(fn: Callable[..., Any], year: str, **kwargs: object) -> object:
    """Call a query function with the latest school year where it takes one; other parameters default."""
    params = inspect.signature(fn).parameters
    if "school_year" in params:
        kwargs["school_year"] = year
    return fn(**kwargs)


def test_every_query_function_takes_a_scope_and_a_region() -> None:
    functions = _query_functions()
    assert "enrollment.pupils_by_region" in functions
    for name, fn in functions.items():
        if name in UNSCOPED:
            continue
        params = inspect.signature(fn).parameters
        scope = params.get("scope")
        assert scope is not None and scope.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert params.get("region") is not None and params["region"].default is None, name
        required = {
            n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in ("scope",)
        }
        assert required <= {"school_year"}, (name, required)


def test_region_user_asking_for_another_region_gets_nothing(published_db: Path) -> None:
    year = _year(published_db)
    functions = {n: fn for n, fn in _query_functions().items() if n not in UNSCOPED}
    assert len(functions) >= 5
    for name, fn in functions.items():
        with pytest.raises(ScopeError):
            _call(fn, year, scope=REGION_01, region=OTHER_REGION)
            pytest.fail(f"{name} served region {OTHER_REGION} to a region-01 user")
        # the ministry may ask for that region
        if name not in RECORDING:
            _call(fn, year, scope=NATIONAL, region=OTHER_REGION)


def test_region_user_sees_only_their_region(published_db: Path) -> None:
    year = _year(published_db)
    by_region = da.pupils_by_region(year, scope=REGION_01)
    assert by_region["region_code"].to_list() == ["01"]
    assert by_region["pupils"][0] == _sql(
        published_db,
        "select sum(pupils) from marts.agg_enrollment_by_region where school_year = ? and region_code = '01'",
        year,
    )
    detail = da.pupils_by_region_cycle_sex(year, scope=REGION_01)
    assert set(detail["region_code"].to_list()) == {"01"}
    assert da.school_count(scope=REGION_01) == _sql(
        published_db, "select count(*) from marts.dim_school where region_code = '01'"
    )


def test_province_and_school_users_see_only_their_territory(published_db: Path) -> None:
    year = _year(published_db)
    school, province, region = (
        duckdb.connect(str(published_db), read_only=True)
        .execute(
            "select school_code, province_code, region_code from marts.fct_enrollment "
            "group by all order by count(*) desc limit 1"
        )
        .fetchone()
    )
    for scope, column, value in (
        (Scope("province", region_code=region, province_code=province), "province_code", province),
        (
            Scope("school", region_code=region, province_code=province, school_code=school),
            "school_code",
            school,
        ),
    ):
        got = da.pupils_by_region(year, scope=scope)
        assert got["region_code"].to_list() == [region]
        want = _sql(
            published_db,
            f"select count(*) from marts.fct_enrollment where school_year = ? and {column} = ?",
            year,
            value,
        )
        assert got["pupils"][0] == want


def test_password_hashing() -> None:
    encoded = hash_password("s3cret")
    assert encoded.startswith("$argon2id$") and "s3cret" not in encoded
    assert verify_password("s3cret", encoded)
    assert not verify_password("s3cret!", encoded)
    assert not verify_password("s3cret", "garbage")


def test_demo_users_and_authentication() -> None:
    users = load_users()
    assert users["ministere"][1].scope == NATIONAL
    assert users["aref_rsk"][1].scope.region_code == "04"
    assert authenticate("ministere", "ministere-demo") is not None
    assert authenticate("ministere", "wrong") is None
    assert authenticate("nobody", "ministere-demo") is None


def test_internal_app_requires_sign_in(published_home: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert not at.get("plotly_chart"), "no data before sign-in"
    at.text_input(key="login_username").input("aref_tta")
    at.text_input(key="login_password").input("wrong")
    at.button[0].click().run()
    assert at.error and not at.get("plotly_chart")
    at.text_input(key="login_username").input("aref_tta")
    at.text_input(key="login_password").input("aref-demo")
    at.button[0].click().run()
    assert not at.exception
    # a region user lands on the overview of their region: its provinces' map, no national map
    assert [c.key for c in at.get("plotly_chart")] == [
        "province_map",
        "cycle_sex_bars",
        "sector_area_bars",
        "trend",
    ]
    assert any("01" in c.value for c in at.sidebar.caption)
