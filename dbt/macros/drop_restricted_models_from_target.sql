{#-
    The models built in database `restricted` (the restricted file, see dbt_project.yml) must not exist in
    the analysts' warehouse: a candidate copied from a version built before they moved there still holds
    them. Run at the start of every dbt invocation (on-run-start): drops any table or view of the target
    database named like a restricted model, then the schemas this leaves empty (only those: dbt has
    already created the schemas of the run, empty ones included). Nothing to do: no statement.
    On Spark the restricted models have schemas of their own (generate_schema_name): nothing to drop.
-#}
{% macro drop_restricted_models_from_target() %}
    {{- adapter.dispatch('drop_restricted_models_from_target', 'massar')() -}}
{% endmacro %}

{% macro default__drop_restricted_models_from_target() %}
{% endmacro %}

{% macro duckdb__drop_restricted_models_from_target() %}
    {%- if execute -%}
        {%- set names = [] -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.database == 'restricted' -%}
                {%- do names.append(node.schema ~ '.' ~ node.alias) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if names -%}
            {%- set found = run_query(
                "select 'table' as kind, schema_name, table_name as name from duckdb_tables() "
                ~ "where database_name = " ~ massar_string_literal(target.database)
                ~ " union all select 'view', schema_name, view_name from duckdb_views() "
                ~ "where not internal and database_name = " ~ massar_string_literal(target.database)
            ) -%}
            {%- for row in found.rows if (row[1] ~ '.' ~ row[2]) in names -%}
                {%- if row[1] not in schemas -%}{%- do schemas.append(row[1]) -%}{%- endif -%}
                {%- do log("dropping " ~ row[1] ~ "." ~ row[2] ~ " from " ~ target.database ~ ": it belongs in the restricted file", info=true) -%}
                {%- do run_query(
                    "drop " ~ row[0] ~ " if exists " ~ adapter.quote(target.database) ~ "."
                    ~ adapter.quote(row[1]) ~ "." ~ adapter.quote(row[2])
                ) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if schemas -%}
            {%- set left = run_query(
                "select schema_name, count(*) from (select schema_name from duckdb_tables() where database_name = "
                ~ massar_string_literal(target.database)
                ~ " union all select schema_name from duckdb_views() where not internal and database_name = "
                ~ massar_string_literal(target.database) ~ ") group by all"
            ) -%}
            {%- set occupied = left.columns[0].values() -%}
            {%- set present = run_query(
                "select schema_name from duckdb_schemas() where database_name = "
                ~ massar_string_literal(target.database)
            ).columns[0].values() -%}
            {%- for schema in schemas if schema in present and schema not in occupied -%}
                {%- do run_query("drop schema if exists " ~ adapter.quote(target.database) ~ "." ~ adapter.quote(schema)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
