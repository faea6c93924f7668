{#- One row per dashboard figure (KPI) and language, from the yml meta of the models (macro kpi_entries). -#}
{%- set entries = kpi_entries() %}

select
    cast(kpi.kpi_key as {{ string_type() }}) as kpi_key,
    cast(kpi.lang as {{ string_type() }}) as lang,
    cast(kpi.table_schema as {{ string_type() }}) as table_schema,
    cast(kpi.table_name as {{ string_type() }}) as table_name,
    cast(kpi.column_name as {{ string_type() }}) as column_name,
    cast(kpi.definition as {{ string_type() }}) as definition,
    cast(kpi.numerator as {{ string_type() }}) as numerator,
    cast(kpi.denominator as {{ string_type() }}) as denominator
from (
    values
    {%- for e in entries %}
        {%- set outer = loop %}
        {%- for lang in ['en', 'fr', 'ar'] %}
            {%- set text = e.kpi.get(lang) or {} %}
        ({{ kpi_literal(e.kpi_key) }}, '{{ lang }}', {{ kpi_literal(e.table_schema) }},
            {{ kpi_literal(e.table_name) }}, {{ kpi_literal(e.column_name) }},
            {{ kpi_literal(text.get('definition')) }}, {{ kpi_literal(text.get('numerator')) }},
            {{ kpi_literal(text.get('denominator')) }}){{ ',' if not (outer.last and loop.last) }}
        {%- endfor %}
    {%- else %}
        (null, null, null, null, null, null, null, null)
    {%- endfor %}
) as kpi (kpi_key, lang, table_schema, table_name, column_name, definition, numerator, denominator)
where kpi.kpi_key is not null
