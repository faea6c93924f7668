"""The frame every internal page runs in: its title, the published version, the territory filters.

A page module defines ``render(...)`` and ends with one call:

- ``run_page("absence.title", render)``: ``render(scope, lang, version)`` draws its own filters;
- ``run_filtered_page("social.title", render, depth="province")``: the shared territory filters
  (``dashboards.filters.territory_filters``) are drawn first, then ``render(filters, lang, version)``.

A page's headline figures are drawn by :func:`kpi_metrics`: one metric per :class:`Kpi`, labelled by its
i18n key, with the definition of the figure (``dashboards.data_access.kpi``) as its help.

Both show the bilingual "nothing published yet" notice when no version is published, including when the
version is unpublished between two reads, and the "no data for this selection" warning when the user's
territory has no data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import NoPublishedWarehouse, kpi, published_warehouse
from dashboards.exports import start_page
from dashboards.filters import Depth, Filters, territory_filters
from dashboards.i18n import Lang, isolate_ltr, t
from dashboards.scope import Scope
from dashboards.ui import current_lang


def no_published_data() -> None:
    """The bilingual notice shown while no warehouse version is published."""
    st.info(f"{t('no_published_data', 'fr')}\n\n{t('no_published_data', 'ar')}", icon=":material/info:")


def run_page(title_key: str, render: Callable[[Scope, Lang, str], None]) -> None:
    """Title, then ``render(scope, lang, published_version)``, or the notice when nothing is published."""
    lang = current_lang()
    scope = current_scope()
    st.title(t(title_key, lang))
    published = published_warehouse()
    if published is None:
        no_published_data()
        return
    start_page(t(title_key, lang), lang, published.version)
    try:
        render(scope, lang, published.version)
    except NoPublishedWarehouse:  # unpublished between two reads
        no_published_data()


def run_filtered_page(
    title_key: str,
    render: Callable[[Filters, Lang, str], None],
    *,
    depth: Depth = "school",
    default_year: Callable[..., str | None] | None = None,
    caption: str | None = None,
) -> None:
    """Like :func:`run_page`, with the territory filters (down to ``depth``) drawn before ``render``; the
    school year opens on ``default_year(scope=scope)`` when given (else on the latest year). ``caption``
    is the i18n key of the page's caption (its ``{year}`` and ``{version}`` filled), drawn before
    ``render``."""

    def filtered(scope: Scope, lang: Lang, version: str) -> None:
        year = default_year(scope=scope) if default_year is not None else None
        filters = territory_filters(scope, lang, depth=depth, default_year=year)
        if filters is None:
            st.warning(t("no_data_for_selection", lang))
            return
        if caption is not None:
            st.caption(t(caption, lang, year=isolate_ltr(filters.school_year, lang), version=version))
        render(filters, lang, version)

    run_page(title_key, filtered)


@dataclass(frozen=True)
class Kpi:
    """One headline figure: its i18n ``key`` (label and help), its formatted ``value``, and its ``label``
    where the label's text has placeholders to fill (else ``t(key)``)."""

    key: str
    value: str
    label: str | None = None


def kpi_metrics(
    figures: Sequence[Kpi], lang: Lang, *, per_row: int | None = None, border: bool = True
) -> None:
    """The figures as metrics side by side, ``per_row`` a row (all on one row by default); each metric's
    help is the figure's definition (numerator, denominator, source) in the published version."""
    per_row = per_row or len(figures)
    for start in range(0, len(figures), per_row):
        columns = st.columns(per_row)
        for column, figure in zip(columns, figures[start : start + per_row], strict=False):
            column.metric(
                figure.label or t(figure.key, lang),
                figure.value,
                help=kpi.help_text(figure.key, lang),
                border=border,
            )
