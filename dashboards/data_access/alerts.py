"""Absence alerts on the absence page: open alerts in the user's scope, acknowledgment, subscriptions.

The alerts, their state and the subscriptions live in the alert store of ``dashboards.alerts`` (SQLite under
``$MASSAR_HOME/alerts``, written by the daily DAG and ``massar alerts send``). Scope is enforced here, as for
every query: a user sees and acknowledges only the alerts of schools in their territory, and subscribes only
to a territory (a region or a province) within it. A province user may subscribe to their province, not to
its region; a school user's scope holds no whole territory, so no subscription.

Nothing is cached: the state changes with every acknowledgment.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

import dashboards.alerts as store
from dashboards.alerts import KINDS, AlertError, Territory
from dashboards.scope import Scope, ScopeError

__all__ = [
    "KINDS",
    "AlertError",
    "acknowledge",
    "open_alerts",
    "subscribe",
    "subscriptions",
]

_ALERT_COLUMNS = {
    "alert_id": pl.Int64,
    "kind": pl.String,
    "calendar_date": pl.String,
    "region_code": pl.String,
    "province_code": pl.String,
    "school_code": pl.String,
    "school_name_fr": pl.String,
    "school_name_ar": pl.String,
}


def open_alerts(
    *, scope: Scope, region: str | None = None, province: str | None = None, school: str | None = None
) -> pl.DataFrame:
    """Open alerts of the schools in the requested territory (narrowed to the scope; ``ScopeError`` when
    it leaves it): ``alert_id, kind, calendar_date, region_code, province_code, school_code,
    school_name_fr, school_name_ar`` and the figures (``rate, usual_rate, absent, classes,
    classes_recorded``, null where the kind has none); latest day first, then kind and school."""
    territory = scope.territory(region, province, school)
    found = store.open_alerts(territory.region_code, territory.province_code, territory.school_code)
    figures = ("rate", "usual_rate", "absent", "classes", "classes_recorded")
    return pl.DataFrame(
        [{**{c: a[c] for c in _ALERT_COLUMNS}, **{f: a["detail"].get(f) for f in figures}} for a in found],
        schema={
            **_ALERT_COLUMNS,
            "rate": pl.Float64,
            "usual_rate": pl.Float64,
            "absent": pl.Int64,
            "classes": pl.Int64,
            "classes_recorded": pl.Int64,
        },
    )


def acknowledge(
    *, scope: Scope, region: str | None = None, alert_ids: Sequence[int] = (), user: str = ""
) -> int:
    """Acknowledge open alerts as ``user``; ``ScopeError`` (nothing acknowledged) when one of them is not in
    the requested territory within the scope. Returns how many were open."""
    territory = scope.territory(region)
    found = [store.get_alert(alert_id) for alert_id in alert_ids]
    for alert in found:
        if alert is None or territory.region_code not in (None, alert["region_code"]):
            raise ScopeError("this alert is outside this user's scope")
        scope.territory(alert["region_code"], alert["province_code"], alert["school_code"])
    return sum(store.acknowledge(alert_id, user) for alert_id in alert_ids)


def _whole_territory_in_scope(scope: Scope, territory: Territory) -> bool:
    """Whether every school of ``territory`` is one the user may see."""
    if scope.school_code is not None:
        return False
    if scope.province_code is not None:
        return territory.province_code == scope.province_code
    return scope.region_code is None or territory.region_code == scope.region_code


def subscribe(
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    email: str = "",
    kinds: Sequence[str] = KINDS,
    user: str = "",
) -> int:
    """Subscribe ``email`` to the alerts of a territory: ``province`` when given, else ``region``.
    ``ScopeError`` when that territory is not wholly within the user's scope (another region; for a
    province user, another province or the whole region; any territory for a school user); ``AlertError``
    for a bad address or kind, or no territory. Returns the subscription's id."""
    code = province or region
    if code is None:
        raise AlertError("a subscription needs a region or a province")
    territory = Territory(code)
    if province is not None and region is not None and territory.region_code != region:
        raise AlertError(f"province {province} is not in region {region}")
    scope.territory(territory.region_code, territory.province_code)  # ScopeError outside the scope
    if not _whole_territory_in_scope(scope, territory):
        raise ScopeError(f"territory {code} is wider than this user's scope")
    return store.subscribe(email, code, kinds, created_by=user)


def subscriptions(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """The subscriptions to territories within the requested territory and the scope:
    ``subscription_id, email, territory_code, kinds`` (comma-separated)."""
    territory = scope.territory(region)
    found = (
        []
        if scope.school_code is not None
        else store.subscriptions(territory.region_code, territory.province_code)
    )
    return pl.DataFrame(
        [
            {
                **{k: s[k] for k in ("subscription_id", "email", "territory_code")},
                "kinds": ",".join(s["kinds"]),
            }
            for s in found
        ],
        schema={
            "subscription_id": pl.Int64,
            "email": pl.String,
            "territory_code": pl.String,
            "kinds": pl.String,
        },
    )
