{#-
    Data tests scoped to what a daily build changed.

    A daily build (var scope_tests_to_changes, set by massar.pipeline.build_daily and the daily and backfill
    DAGs) starts from a copy of the published warehouse, whose tables passed every test when they were
    built. A batch-driven incremental model (macros/incremental_partitions.sql) rewrites only its changed
    partitions, and records them in audit.incremental_last__<model> (record_lake_changes). The rows of the
    other partitions are the published rows, already tested: a test of such a model only needs the rows of
    the rewritten partitions, and reads them instead of the whole fact (at 1 M pupils, fct_absence's key
    test over 52 M rows took 32 s in a daily build; over one day's partitions, well under a second).

    A model rewritten from a day on (agg_absence_class_daily: a running sum, delete_lake_changes_since)
    declares `since_column` instead of the partition columns: its tests read, per school year, the rows
    from the first day the run rewrote.

    A model opts in with its meta (one .yml per model):

        config:
          meta:
            test_scope:
              changes_of: fct_absence            # the batch-driven model whose rewritten partitions count
              partition_by: [school_year, absence_date]
              types: {absence_date: date}        # SQL type of a column as compared (default varchar)

    The scope is complete for every test the models declare: not_null, accepted values and ranges are
    row-local; a primary key contains the partition columns, so two partitions never share a key; a
    reference to another model is scoped only when that model is not rebuilt in this run (a rebuilt parent
    could orphan rows of unchanged partitions: then the test reads everything). A model that is not the
    tracked one itself (a view over it, like fct_absence_session) is scoped only when none of its other
    parents is rebuilt. Everything else, and every build without the var (full builds, the school-year
    DAG, massar build), tests the whole table. When the tracked model rewrote every partition ('*'), the
    test reads everything too.

    Why dbt's dispatched get_where_subquery, not the tests' `where` config: dbt renders a test's `where`
    when it parses the project (var() works, run_query returns nothing, no selection is known), while the
    scope depends on this run's selection (is the tracked model built, is another parent rebuilt) and on
    the partitions the model's post-hook recorded earlier in the same run. dbt compiles every test's
    relation through get_where_subquery, dispatched in the `dbt` namespace: this project's
    default__get_where_subquery takes precedence over dbt's, keeps dbt's behaviour (the `where` config
    still applies) and adds the scope. The scope is written as constants for the same reason as the
    models' filters (macros/incremental_partitions.sql): DuckDB skips row groups on constant filters.
-#}


{#- The test's relation, filtered by its `where` config (dbt's own behaviour) and by the daily scope. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do predicates.append(where) -%}
    {%- endif -%}
    {%- set scope = changed_partitions_scope() -%}
    {%- if scope is not none -%}
        {%- do predicates.append(scope) -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ predicates | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- The predicate restricting the running test to the partitions its model's tracked source rewrote, or
    none when the test must read the whole relation (see above). -#}
{% macro changed_partitions_scope() -%}
    {%- if not execute or not var('scope_tests_to_changes', false) or model.resource_type != 'test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set attached = model.attached_node -%}
    {%- if not attached or attached not in graph.nodes -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set target_node = graph.nodes[attached] -%}
    {%- set scope = (target_node.config.meta or {}).get('test_scope') -%}
    {%- if not scope -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tracked = 'model.' ~ target_node.package_name ~ '.' ~ scope.changes_of -%}
    {%- if tracked not in selected_resources -%}
        {{ return(none) }}  {#- its partitions were not rewritten by this run -#}
    {%- endif -%}
    {%- set rebuilt_parents = [] -%}
    {%- for node in model.depends_on.nodes if node != attached and node in selected_resources -%}
        {%- do rebuilt_parents.append(node) -%}
    {%- endfor -%}
    {%- if attached != tracked -%}
        {%- for node in target_node.depends_on.nodes if node != tracked and node in selected_resources -%}
            {%- do rebuilt_parents.append(node) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if rebuilt_parents -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set last = 'audit.incremental_last__' ~ scope.changes_of -%}
    {%- set exists = run_query(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = "
        ~ massar_string_literal('incremental_last__' ~ scope.changes_of)
    ) -%}
    {%- if exists.columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set values = run_query("select distinct partition_value from " ~ last ~ " order by 1").columns[0].values() -%}
    {%- if '*' in values -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if scope.get('since_column') -%}
        {{ return(rewritten_since_filter(scope.changes_of, scope.since_column)) }}
    {%- endif -%}
    {%- set parsed = [] -%}
    {%- for value in values -%}
        {%- do parsed.append(value.split('|')) -%}
    {%- endfor -%}
    {{ return(lake_changes_filter(
        {'full': false, 'values': parsed}, scope.partition_by, scope.get('types', {})
    )) }}
{%- endmacro %}


{#- For a model rewritten from a day on (delete_lake_changes_since): the rows of each school year from the
    first day its run rewrote (audit.incremental_since__<model>, written by the pre-hook of the same run). -#}
{% macro rewritten_since_filter(model_name, since_column) -%}
    {%- set rows = run_query(
        "select school_year, cast(from_date as varchar) from audit.incremental_since__" ~ model_name ~ " order by 1"
    ).rows -%}
    {%- if not rows -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set terms = [] -%}
    {%- for row in rows -%}
        {%- do terms.append(
            "(school_year = " ~ massar_string_literal(row[0]) ~ " and " ~ since_column
            ~ " >= cast(" ~ massar_string_literal(row[1]) ~ " as date))"
        ) -%}
    {%- endfor -%}
    {{ return(terms | join(' or ')) }}
{%- endmacro %}
