{#-
    Custom schemas are used verbatim (staging, intermediate, marts, restricted, audit, reference),
    not prefixed with the target schema as dbt does by default. On Spark (one catalog, no second
    database: macro generate_database_name in massar_engine.sql) a model configured with database
    `restricted` goes to schema restricted_<schema> instead (restricted_staging, restricted_intermediate,
    restricted).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.type != 'duckdb' and node is not none and node.config.database == 'restricted'
        and (custom_schema_name | trim) != 'restricted' -%}
        restricted_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
