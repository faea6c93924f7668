{#-
    Key columns of the massar source tables that declare their contract's primary key in the sources file
    (`config: meta: primary_key: [...]`), as (name, SQL type) pairs taken from the source's column
    data_type, minus the names in `exclude`. stg_massar__deletions adds them to its typed key columns, so a
    new domain entity needs no edit there (docs/adding-a-domain.md). Empty at parse time (no graph yet).
-#}
{% macro lake_domain_key_columns(exclude=[]) -%}
    {%- set found = [] -%}
    {%- set seen = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() | sort(attribute='name') -%}
            {%- if node.source_name == 'massar' -%}
                {%- set meta = node.config.get('meta', {}) or node.meta or {} -%}
                {%- for key in meta.get('primary_key', []) -%}
                    {%- if key not in exclude and key not in seen and key in node.columns -%}
                        {%- do seen.append(key) -%}
                        {%- do found.append((key, node.columns[key].data_type or 'varchar')) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}
