{#-
    Whether the glob of a lake source (the first argument of its read_parquet external_location)
    matches at least one file. DuckDB's read_parquet fails on a glob that matches nothing; models
    over folders that may be empty (quarantine, load log) use this to select an empty, typed relation
    instead. Returns true at parse time (no database connection) so that dbt records the source().

    Spark has no file listing in SQL: there the caller passes the names of the lake sources that have
    files (var lake_sources_with_files, computed by `massar build --target spark`:
    massar.pipeline.lake_sources_with_files); without the var every source is taken as having files.
-#}
{% macro lake_source_has_files(relation) -%}
    {%- if adapter is not defined -%}{{ return(true) }}{%- endif -%}
    {{ return(adapter.dispatch('lake_source_has_files', 'massar')(relation)) }}
{%- endmacro %}

{% macro default__lake_source_has_files(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(relation.identifier in var('lake_sources_with_files', [relation.identifier])) }}
{%- endmacro %}

{% macro duckdb__lake_source_has_files(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set match = modules.re.search("read_parquet\\(\\s*'([^']+)'", relation.external or '') -%}
    {%- if match is none -%}
        {{ exceptions.raise_compiler_error(
            "lake_source_has_files: " ~ relation ~ " has no read_parquet('<glob>', ...) external_location"
        ) }}
    {%- endif -%}
    {%- set pattern = match.group(1) -%}
    {%- set result = run_query("select count(*) from glob(" ~ massar_string_literal(pattern) ~ ")") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}
