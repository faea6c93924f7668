{#- The KPI help texts declared in the models' yml, as a list of dicts (empty at parse time).

Each entry is one figure shown on a dashboard page, keyed by the page label's i18n key, with its
definition, numerator and (for a ratio) denominator in English (en), French (fr) and Arabic (ar).
Declared in a model's ``config.meta.kpis`` with ``source: schema.table.column`` (the mart column the
figure is computed from): ``kpi_definitions.yml`` declares them all, in one reviewable place, including
the figures of the tables that warehouse/publish.py writes (audit.gate_run). -#}
{% macro kpi_entries() %}
    {%- set entries = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
            {%- for key, kpi in ((node.config.get('meta') or {}).get('kpis') or {}).items() -%}
                {%- set source = kpi.source.split('.') -%}
                {%- do entries.append({
                    'kpi_key': key, 'table_schema': source[0], 'table_name': source[1],
                    'column_name': source[2], 'kpi': kpi}) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(entries | sort(attribute='kpi_key')) }}
{% endmacro %}

{#- A SQL string literal ('' for a quote; null for none). -#}
{% macro kpi_literal(text) -%}
    {%- if text is none or text == '' -%}null{%- else -%}'{{ text | string | trim | replace("'", "''") }}'{%- endif -%}
{%- endmacro %}
