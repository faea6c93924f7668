"""Definitions of the headline figures (the ``help`` of each ``st.metric``), the same for every user.

One definition per figure, written once: in the ``config.meta.kpis`` of the mart column the figure is
computed from (``dbt/models/marts/*.yml``; figures read from tables that ``warehouse/publish.py`` writes
are declared on ``kpi_definitions.yml``), in English, French and Arabic. dbt persists them into every
published version as ``marts.kpi_definitions`` (one row per figure and language: definition, numerator,
denominator, source table and column), so dbt docs and the pages show the same text. A version published
before that table existed gives no help (``None``).
"""

from __future__ import annotations

from dashboards.data_access._core import run as _run
from dashboards.i18n import t

_HAS_TABLE = """
    select count(*) as n
    from information_schema.tables
    where table_schema = 'marts' and table_name = 'kpi_definitions'
"""

_DEFINITION = """
    select definition, numerator, denominator, table_schema, table_name, column_name
    from marts.kpi_definitions
    where kpi_key = ? and lang = ?
"""


def help_text(key: str, lang: str) -> str | None:
    """The help of the figure labelled by the i18n key ``key``, in ``lang`` (Markdown): its definition,
    numerator, denominator (ratios only) and source; ``None`` when the version holds no definition."""
    if not _run(_HAS_TABLE)["n"][0]:
        return None
    rows = _run(_DEFINITION, key, lang)
    if rows.height == 0:
        return None
    row = rows.row(0, named=True)
    lines = [row["definition"], ""]
    lines.append(f"**{t('kpi.help.numerator', lang)}** {row['numerator']}  ")
    if row["denominator"]:
        lines.append(f"**{t('kpi.help.denominator', lang)}** {row['denominator']}  ")
    source = f"{row['table_schema']}.{row['table_name']}.{row['column_name']}"
    lines.append(f"**{t('kpi.help.source', lang)}** `{source}`")
    return "\n".join(lines)
