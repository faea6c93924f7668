"""The absence alerts section of the absence page: the open alerts of the territory shown (within the user's
scope) with an acknowledge button, and the form to receive the alerts by e-mail (``dashboards.alerts`` sends
them after each daily publication)."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboards.auth import signed_in_user
from dashboards.data_access import alerts as da
from dashboards.data_access import enrollment
from dashboards.exports import show_table
from dashboards.i18n import fmt_date, fmt_int, fmt_pct, t
from dashboards.scope import Scope, ScopeError

#: alerts listed in the table (the count of the rest is stated above it)
TABLE_ROWS = 50
_FLASH = "alerts_flash"


def _detail(alert: dict[str, object], lang: str) -> str:
    if alert["kind"] == "spike":
        return t(
            "alerts.detail.spike",
            lang,
            rate=fmt_pct(alert["rate"], lang),
            usual=fmt_pct(alert["usual_rate"], lang),
        )
    return t(
        "alerts.detail.missing_recording",
        lang,
        recorded=fmt_int(alert["classes_recorded"] or 0, lang),
        classes=fmt_int(alert["classes"], lang),
    )


def _label(alert: dict[str, object], lang: str) -> str:
    day = fmt_date(date.fromisoformat(str(alert["calendar_date"])), lang)
    kind = t(f"alerts.kind.{alert['kind']}", lang)
    return f"{day} · {kind} · {alert[f'school_name_{lang}']} ({alert['school_code']})"


def alerts_table(alerts: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("alerts.col.date", lang): fmt_date(date.fromisoformat(a["calendar_date"]), lang),
                t("alerts.col.kind", lang): t(f"alerts.kind.{a['kind']}", lang),
                t("alerts.col.school", lang): f"{a[f'school_name_{lang}']} ({a['school_code']})",
                t("alerts.col.detail", lang): _detail(a, lang),
            }
            for a in alerts.iter_rows(named=True)
        ]
    )


def _territories(scope: Scope, lang: str) -> dict[str, str]:
    """The territories the user may subscribe to (code -> name): their region and its provinces, or
    their province; every region and province for the ministry."""
    if scope.school_code is not None:
        return {}
    names: dict[str, str] = {}
    if scope.province_code is None:
        for r in enrollment.regions(scope=scope).iter_rows(named=True):
            names[r["region_code"]] = f"{r[f'name_{lang}']} ({r['region_code']})"
    for p in enrollment.provinces(scope=scope).iter_rows(named=True):
        if scope.province_code in (None, p["province_code"]):
            names[p["province_code"]] = f"{p[f'name_{lang}']} ({p['province_code']})"
    return dict(sorted(names.items()))


def _subscribe_form(scope: Scope, lang: str, user: str, default: str | None) -> None:
    st.markdown(f"**{t('alerts.subscribe.title', lang)}**")
    territories = _territories(scope, lang)
    if not territories:
        st.info(t("alerts.subscribe.not_for_school", lang))
        return
    codes = list(territories)
    with st.form("alerts_subscribe"):
        email = st.text_input(t("alerts.subscribe.email", lang), key="alerts_email")
        code = st.selectbox(
            t("alerts.subscribe.territory", lang),
            codes,
            index=codes.index(default) if default in territories else 0,
            format_func=territories.__getitem__,
            key="alerts_territory",
        )
        kinds = st.multiselect(
            t("alerts.subscribe.kinds", lang),
            list(da.KINDS),
            default=list(da.KINDS),
            format_func=lambda kind: t(f"alerts.kind.{kind}", lang),
            key="alerts_kinds",
        )
        submitted = st.form_submit_button(t("alerts.subscribe.button", lang), key="alerts_subscribe_button")
    if submitted:
        region, province = (code[:2], code) if "." in code else (code, None)
        try:
            da.subscribe(scope=scope, region=region, province=province, email=email, kinds=kinds, user=user)
        except ScopeError:
            st.error(t("alerts.subscribe.outside", lang))
        except da.AlertError:
            st.error(t("alerts.subscribe.invalid", lang))
        else:
            st.success(t("alerts.subscribe.done", lang, territory=territories[code]))
    count = da.subscriptions(scope=scope).height
    st.caption(t("alerts.subscriptions", lang, count=fmt_int(count, lang)))


def alerts_section(
    scope: Scope,
    lang: str,
    *,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> None:
    """The section: open alerts of the territory chosen in the filters, acknowledgment, subscription."""
    user = signed_in_user()
    username = user.username if user else ""
    st.subheader(t("alerts.title", lang))
    st.caption(t("alerts.rule", lang))
    if _FLASH in st.session_state:
        st.success(st.session_state.pop(_FLASH))
    found = da.open_alerts(scope=scope, region=region, province=province, school=school)
    if found.height:
        st.markdown(f"**{t('alerts.open', lang, count=fmt_int(found.height, lang))}**")
        show_table(alerts_table(found, lang), "absence_alerts", lang, rows=TABLE_ROWS)
        labels = {a["alert_id"]: _label(a, lang) for a in found.iter_rows(named=True)}
        chosen = st.multiselect(
            t("alerts.ack.select", lang), list(labels), format_func=labels.__getitem__, key="alerts_ack"
        )
        if st.button(t("alerts.ack.button", lang), key="alerts_ack_button") and chosen:
            done = da.acknowledge(scope=scope, region=region, alert_ids=chosen, user=username)
            st.session_state[_FLASH] = t("alerts.ack.done", lang, count=fmt_int(done, lang))
            st.session_state.pop("alerts_ack", None)
            st.rerun()
    else:
        st.info(t("alerts.none", lang))
    _subscribe_form(scope, lang, username, province or region)
