"""The parent and pupil lookup: one child's results, for whoever holds the code and the parent secret."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.i18n import t
from dashboards.public.certificate import certificate_pdf
from dashboards.public.guard import Guard
from dashboards.public.lookup import lookup
from dashboards.public.store import ServingStore, state_path, store_path
from dashboards.ui import current_lang


def client_id() -> str:
    """The caller's address as Streamlit sees it (behind a proxy: its X-Forwarded-For)."""
    forwarded = st.context.headers.get("X-Forwarded-For", "")
    ip = getattr(st.context, "ip_address", None)
    first_hop = forwarded.split(",")[0].strip() if isinstance(forwarded, str) else ""
    return (first_hop or (ip if isinstance(ip, str) else "") or "unknown")[:64]


@st.cache_resource
def serving_store() -> ServingStore:
    return ServingStore()  # follows the published version (CURRENT)


@st.cache_resource
def guard() -> Guard:
    return Guard(state_path())


def labelled(frame: pl.DataFrame, columns: dict[str, str], lang: str) -> pl.DataFrame:
    present = {src: t(f"lookup.col.{key}", lang) for src, key in columns.items() if src in frame.columns}
    return frame.select(list(present)).rename(present)


lang = current_lang()
st.title(t("lookup.title", lang))
if not store_path().exists():
    st.info(t("lookup.no_store", lang))
    st.stop()

with st.form("lookup"):
    code = st.text_input(t("lookup.code", lang), max_chars=10, key="lookup_code")
    secret = st.text_input(t("lookup.secret", lang), type="password", max_chars=64, key="lookup_secret")
    submitted = st.form_submit_button(t("lookup.submit", lang))

if submitted:
    result = lookup(code, secret, client_id(), serving_store(), guard())
    st.session_state["lookup_card"] = result.card
    if result.card is None:
        key = {"locked": "lookup.locked", "throttled": "lookup.throttled"}.get(
            result.outcome, "lookup.denied"
        )
        st.error(t(key, lang))

card = st.session_state.get("lookup_card")
if card is not None:
    p = card.pupil
    st.subheader(f"{p[f'first_name_{lang}']} {p[f'last_name_{lang}']}")
    cols = st.columns(4)
    cols[0].metric(t("lookup.school", lang), str(p[f"school_name_{lang}"]))
    cols[1].metric(t("lookup.level", lang), str(p[f"level_{lang}"]))
    cols[2].metric(t("lookup.class", lang), str(p["class_code"]))
    cols[3].metric(t("lookup.year", lang), str(p["school_year"]))
    if p.get("annual_average") is not None:
        c1, c2 = st.columns(2)
        c1.metric(t("lookup.annual_average", lang), f"{float(p['annual_average']):.2f}")
        c2.metric(t("lookup.decision", lang), str(p.get(f"decision_{lang}") or p.get("decision") or "–"))
    st.markdown(f"#### {t('lookup.grades', lang)}")
    st.dataframe(
        labelled(
            card.subject_results.with_columns(pl.col(f"subject_{lang}").alias("subject")),
            {"subject": "subject", "semester": "semester", "average": "average", "rank_in_class": "rank"},
            lang,
        ),
        hide_index=True,
    )
    if card.exams.height:
        st.markdown(f"#### {t('lookup.exams', lang)}")
        st.dataframe(
            labelled(
                card.exams.with_columns(
                    pl.col(f"exam_{lang}").alias("exam"), pl.col(f"subject_{lang}").alias("subject")
                ),
                {"exam": "exam", "exam_session": "exam_session", "subject": "subject", "grade": "grade"},
                lang,
            ),
            hide_index=True,
        )
    st.markdown(f"#### {t('lookup.absences', lang)}")
    st.dataframe(
        labelled(
            card.absences, {"absence_date": "date", "sessions": "sessions", "justified": "justified"}, lang
        ),
        hide_index=True,
    )
    st.markdown(f"#### {t('lookup.timetable', lang)}")
    st.dataframe(
        labelled(
            card.timetable.with_columns(pl.col(f"subject_{lang}").alias("subject")),
            {"weekday": "weekday", "session_number": "session", "subject": "subject"},
            lang,
        ),
        hide_index=True,
    )
    st.markdown(f"#### {t('lookup.exam_calendar', lang)}")
    if card.exam_calendar.height:
        st.caption(t("lookup.exam_calendar_note", lang))
        st.dataframe(
            labelled(
                card.exam_calendar.with_columns(
                    pl.col(f"exam_{lang}").alias("exam"),
                    pl.col(f"subject_{lang}").alias("subject"),
                    pl.col("exam_session").replace_strict(
                        {s: t(f"lookup.session.{s}", lang) for s in ("normal", "resit")},
                        default=None,
                        return_dtype=pl.String,
                    ),
                ),
                {
                    "exam_date": "exam_date",
                    "exam": "exam",
                    "exam_session": "exam_session",
                    "semester": "semester",
                    "subject": "subject",
                },
                lang,
            ),
            hide_index=True,
            key="exam_calendar",
        )
    else:
        st.caption(t("lookup.no_exam_calendar", lang))
    st.download_button(
        t("lookup.certificate", lang),
        data=certificate_pdf(p),
        file_name=f"attestation_{p['student_code']}.pdf",
        mime="application/pdf",
        key="certificate",
    )
