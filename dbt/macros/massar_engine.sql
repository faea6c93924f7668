{#-
    The engine side of the project on Apache Spark (target spark, dbt-spark; docs/scaling.md): where the
    lake's sources are, where the restricted models go, what the incremental models and the seeds become.
    The SQL the models write themselves is portable through macros/portable. Each macro dispatches on
    the adapter: `duckdb__` is what the DuckDB build has always done, `default__` is Spark's.
-#}


{#-
    On-run-start: the lake sources as views of schema `lake` (the source's schema), so that
    source('massar', ...) is a relation on Spark as it is on DuckDB (where dbt-duckdb renders the
    source's read_parquet external_location). Each view reads the files of that read_parquet's glob with
    Spark's Parquet reader (the sources file stays the one definition of where a source lies):
    - a glob `<folder>/*/.../*.parquet` whose folders are hive partitions is read from `<folder>`: Spark
      discovers the partitions as strings (profile setting
      spark.sql.sources.partitionColumnTypeInference.enabled=false), merges the files' columns by name
      (spark.sql.parquet.mergeSchema=true) and prunes partitions on filters;
    - a read with `filename=true` (deletions, quarantine: the entity is a folder above the partitions)
      reads the glob itself, adds the file's path as `filename` and each hive key of `hive_types`
      taken from the path.
    Re-created at every run (a view keeps the columns of its creation: new lake columns appear). A source
    without any file gets no view (macro lake_source_has_files: its models select an empty relation).
-#}
{% macro massar_lake_views() -%}
    {{ return(adapter.dispatch('massar_lake_views', 'massar')()) }}
{%- endmacro %}

{% macro duckdb__massar_lake_views() -%}
{%- endmacro %}

{% macro default__massar_lake_views() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for node in graph.sources.values() | sort(attribute='name') if node.source_name == 'massar' -%}
            {%- set location = node.config.get('external_location') or node.meta.get('external_location') -%}
            {%- set relation = api.Relation.create(schema=node.schema, identifier=node.identifier) -%}
            {%- if location and lake_source_has_files(relation) -%}
                {%- if node.schema not in schemas -%}
                    {%- do run_query("create schema if not exists " ~ node.schema) -%}
                    {%- do schemas.append(node.schema) -%}
                {%- endif -%}
                {%- do run_query(
                    "create or replace view " ~ node.schema ~ "." ~ node.identifier ~ " as "
                    ~ massar_lake_select(location)
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#- Spark's select of the files of a read_parquet(...) location (macro massar_lake_views). -#}
{% macro massar_lake_select(location) -%}
    {%- set glob = modules.re.search("read_parquet\\(\\s*'([^']+)'", location).group(1) -%}
    {%- if 'filename=true' in location -%}
        {%- set keys = modules.re.findall("'(\\w+)'\\s*:\\s*'VARCHAR'", location) -%}
        select
            *,
            {%- for key in keys %}
            regexp_extract(_metadata.file_path, '/{{ key }}=([^/]+)/', 1) as {{ key }},
            {%- endfor %}
            _metadata.file_path as filename
        from parquet.`{{ glob }}`
    {%- else -%}
        select * from parquet.`{{ modules.re.sub("(/[^/]*[*?][^/]*)+$", "", glob) }}`
    {%- endif -%}
{%- endmacro %}


{#-
    Whether the batch-driven incremental models track lake batches (macros/incremental_partitions.sql).
    On Spark they do not: that bookkeeping is DuckDB SQL (glob(), lists, delete); there every such model
    is built whole, as a table (macros/materializations/incremental_spark.sql), which gives the rows a full
    refresh gives.
-#}
{% macro massar_tracks_lake_changes() -%}
    {{ return(adapter.dispatch('massar_tracks_lake_changes', 'massar')()) }}
{%- endmacro %}

{% macro duckdb__massar_tracks_lake_changes() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro default__massar_tracks_lake_changes() -%}
    {{ return(false) }}
{%- endmacro %}


{#-
    Database of a model. DuckDB: the configured one (`restricted`: the restricted file, attached under
    that name) or the target's. Spark has one catalog, no second database: the restricted models go to
    schemas of their own instead (generate_schema_name: restricted_<schema>), which a Spark deployment
    grants to the lookup builder only.
-#}
{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {{ return(adapter.dispatch('generate_database_name', 'massar')(custom_database_name, node)) }}
{%- endmacro %}

{% macro duckdb__generate_database_name(custom_database_name=none, node=none) -%}
    {%- if custom_database_name is none -%}
        {{ target.database }}
    {%- else -%}
        {{ custom_database_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
    {{ return(none) }}
{%- endmacro %}


{#-
    Seeds on Spark. The seeds' column_types are written in DuckDB's spelling (varchar): dbt-spark's
    create_csv_table gets them in Spark's (macro portable_type). The rows are inserted as SQL literals
    escaped for Spark (a quote or a backslash in a label: "d'établissement"): dbt-spark's session
    method quotes bound values without escaping them, which breaks on the first apostrophe.
-#}
{% macro massar_spark_seed_types(model) -%}
    {%- set mapped = {} -%}
    {%- for name, type in (model['config'].get('column_types') or {}).items() -%}
        {%- do mapped.update({name: portable_type(type)}) -%}
    {%- endfor -%}
    {%- do model['config'].update({'column_types': mapped}) -%}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {%- do massar_spark_seed_types(model) -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{%- endmacro %}

{#- A Spark SQL literal of a seed value (agate: text, number, date, boolean or none). -#}
{% macro massar_spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- do massar_spark_seed_types(model) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ massar_spark_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){{ "," if not loop.last }}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}
