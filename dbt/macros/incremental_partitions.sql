{#-
    Incremental models over the Parquet lake.

    1. Batch-driven (cost proportional to the drop): incremental_lake_changes, lake_changes_filter,
       delete_lake_changes, record_lake_changes. Used by fct_absence, fct_absence_daily, fct_grade.
    2. Partition fingerprints (older, cost proportional to history): changed_partitions,
       delete_vanished_partitions. Kept for the models that still use them.

    Batch-driven incremental models
    -------------------------------
    A model declares its lake sources (the entity's accepted rows and its deletions) and a partition key
    made of primary-key columns (for absences: school_year, absence_date). Every lake row carries the
    `_batch_id` of the ingestion batch that wrote it, and compaction keeps it. The model remembers, in
    `audit.incremental_batches__<model>`, which batches it has taken into account and which partitions each batch
    touched, with its row count there. On an incremental run:

    - the changed partitions are those of the batches not taken into account yet (new drops,
      corrections, deletions), and those where a batch taken into account lost or gained rows or is no
      longer in the lake (a removed file; a file rewritten in place with as many rows, which the lake's
      conventions exclude, is not seen);
      a new batch of a "whole-year" source (for example classes, which every absence day depends on)
      marks every partition as changed;
    - the pre-hook deletes the changed partitions from the table, the model's SQL recomputes them from
      the whole current state (filtered by constant lists, so DuckDB prunes the Parquet scans) and the
      rows are appended; the post-hook records the batches. All of it runs in the model's transaction.

    Because the partition key is part of the primary key, a row's partition never changes between
    versions: rewriting the changed partitions gives exactly the rows of a full refresh.

    The set of changed partitions is taken once, when dbt compiles the model (the SQL needs constants),
    and stored in `audit.incremental_pending__<model>`; the hooks read that snapshot, so they see the same set even
    when a batch lands in the lake during the build (it is then taken into account by the next run).
    Seeds are not tracked: after changing one, run a full refresh (the school-year DAG does); var()
    values are when the model passes them as `settings`.
-#}


{#- The model's bookkeeping table (kind: batches or pending): one per model, so that models built in
    parallel threads never write the same table. -#}
{% macro lake_changes_table(kind) -%}
    audit.incremental_{{ kind }}__{{ this.identifier }}
{%- endmacro %}


{#- The partition value of a row: its key columns as trimmed text, joined by '|'. -#}
{% macro lake_partition_value(columns, prefix='') -%}
    concat_ws('|'{% for column in columns %}, trim(cast({{ prefix }}{{ column }} as varchar)){% endfor %})
{%- endmacro %}


{#- Whether this compilation runs the model for real (dbt run/build), not a compile, docs or unit test. -#}
{% macro lake_changes_tracked() -%}
    {#- each name tested first: SQLFluff's templater renders the models without dbt's runtime context -#}
    {%- if execute is not defined or not execute or model is not defined or flags is not defined -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(model.resource_type == 'model' and (flags.WHICH | default('')) in ['run', 'build', 'retry']) }}
{%- endmacro %}


{#-
    The lake files of an entity (accepted rows, or its deletions with `deletions=true`) as a relation, or
    none when there is no such file. Read for the bookkeeping only (batch ids and partition columns): not a
    dbt dependency, the model's rows come through its refs.
-#}
{% macro lake_entity_files(entity, deletions=false) -%}
    {%- set folder = env_var('MASSAR_LAKE_DIR') ~ ('/_deletions/' if deletions else '/') ~ entity -%}
    {%- set pattern = folder ~ '/*/*/*.parquet' -%}
    {%- set found = run_query("select count(*) from glob(" ~ massar_string_literal(pattern) ~ ")") -%}
    {%- if found.columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(
        "read_parquet(" ~ massar_string_literal(pattern) ~ ", hive_partitioning=true, "
        ~ "hive_types={'school_year': 'VARCHAR', 'region_code': 'VARCHAR'}, union_by_name=true)"
    ) }}
{%- endmacro %}


{#-
    Compile-time: snapshot the partitions changed since the model's last run into audit.incremental_pending__<model>
    and return them.

    entities: the lake entities the model's rows come from; their accepted rows and deletions must have
        the `partition_by` columns.
    partition_by: the partition key, primary-key columns of those entities (school_year first), or SQL
        expressions over them.
    whole_year_entities: entities whose new batches (rows or deletions) change every partition (the model
        is then recomputed whole).
    settings: the var() values the rows depend on (for example the pseudonym salt), as one string: a
        change is recorded like a new batch of a whole-year entity.

    Returns a dict: full (true on a full build, or when every partition changed), values (the changed
    partition values, as lists of strings in partition_by order).
-#}
{% macro incremental_lake_changes(entities, partition_by, whole_year_entities=[], settings=none) -%}
    {%- if not lake_changes_tracked() -%}
        {{ return({'full': true, 'values': []}) }}
    {%- endif -%}
    {%- set full_build = not is_incremental() -%}
    {%- set parts = [] -%}
    {%- for entity in entities -%}
        {%- for deletions in [false, true] -%}
            {%- set files = lake_entity_files(entity, deletions) -%}
            {%- if files is not none -%}
                {%- do parts.append(
                    "select cast(_batch_id as varchar) as batch_id, "
                    ~ lake_partition_value(partition_by) ~ " as partition_value, count(*) as n_rows from "
                    ~ files ~ " group by all"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for entity in whole_year_entities -%}
        {%- for deletions in [false, true] -%}
            {%- set files = lake_entity_files(entity, deletions) -%}
            {%- if files is not none -%}
                {%- do parts.append(
                    "select cast(_batch_id as varchar) as batch_id, '*' as partition_value, count(*) as n_rows from "
                    ~ files ~ " group by all"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if settings is not none -%}
        {%- do parts.append(
            "select " ~ massar_string_literal('settings:' ~ local_md5(settings | string)) ~ ", '*', 1"
        ) -%}
    {%- endif -%}
    {%- do parts.append("select cast(null as varchar), cast(null as varchar), cast(null as bigint) where false") -%}
    {%- set batches_sql = parts | join('\nunion\n') -%}
    {%- set batches = lake_changes_table('batches') -%}
    {%- set pending = lake_changes_table('pending') -%}
    {%- set snapshot -%}
        create schema if not exists audit;
        create table if not exists {{ batches }} (
            batch_id varchar not null, partition_value varchar not null, n_rows bigint not null
        );
        create or replace table {{ pending }} as
        with
        lake_batches as ({{ batches_sql }}),
        done as (
            select batch_id, partition_value, n_rows
            from {{ batches }}
            where not {{ full_build }}
        )
        select *, false as vanished, {{ full_build }} as full_build
        from (select * from lake_batches except select * from done)
        union all
        select *, true, {{ full_build }}
        from (select * from done except select * from lake_batches);
    {%- endset -%}
    {%- do run_query(snapshot) -%}
    {%- if full_build -%}
        {{ return({'full': true, 'values': []}) }}
    {%- endif -%}
    {%- set changed = run_query("select distinct partition_value from " ~ pending ~ " order by 1") -%}
    {%- set values = changed.columns[0].values() -%}
    {%- if '*' in values -%}
        {{ return({'full': true, 'values': []}) }}
    {%- endif -%}
    {%- set parsed = [] -%}
    {%- for value in values -%}
        {%- do parsed.append(value.split('|')) -%}
    {%- endfor -%}
    {{ return({'full': false, 'values': parsed}) }}
{%- endmacro %}


{#-
    A predicate keeping the rows of the changed partitions (true on a full build, false when nothing
    changed). Besides the exact test on the partition value, one constant IN list per column lets DuckDB
    prune the Parquet files and row groups. types: SQL type per column (default varchar), matching the
    column as compared (the literal is cast to it).
-#}
{% macro lake_changes_filter(changes, partition_by, types={}, prefix='') -%}
    {%- if changes.full -%}
        true
    {%- elif not changes['values'] -%}
        false
    {%- else -%}
        (
        {%- for column in partition_by %}
            {%- set position = loop.index0 %}
            {%- set distinct_values = [] %}
            {%- for value in changes['values'] %}
                {%- if value[position] not in distinct_values %}{% do distinct_values.append(value[position]) %}{% endif %}
            {%- endfor %}
            {{ prefix }}{{ column }} in (
                {%- for value in distinct_values -%}
                    cast({{ massar_string_literal(value) }} as {{ types.get(column, 'varchar') }})
                    {{- ", " if not loop.last }}
                {%- endfor -%}
            ) and
        {%- endfor %}
            {{ lake_partition_value(partition_by, prefix) }} in (
                {%- for value in changes['values'] -%}
                    {{ massar_string_literal(value | join('|')) }}{{ ", " if not loop.last }}
                {%- endfor -%}
            )
        )
    {%- endif -%}
{%- endmacro %}


{#-
    Like lake_changes_filter, for a model filtering warehouse tables (no Parquet to prune) on many
    partitions (for example one per pupil): the changed partitions are read from the snapshot at run time
    instead of being written into the SQL. `partition_by` names the model's columns.
-#}
{% macro lake_changes_in(changes, partition_by, prefix='') -%}
    {%- if changes.full -%}
        true
    {%- else -%}
        {{ lake_partition_value(partition_by, prefix) }} in (select partition_value from {{ lake_changes_table('pending') }})
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: on an incremental run, delete the changed partitions (all rows when every one changed). -#}
{% macro delete_lake_changes(partition_by) -%}
    {%- if is_incremental() and lake_changes_tracked() -%}
        {%- set pending = lake_changes_table('pending') -%}
        delete from {{ this }}
        where
            exists (select 1 from {{ pending }} where partition_value = '*')
            or {{ lake_partition_value(partition_by) }} in (select partition_value from {{ pending }})
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: record the batches now taken into account (and forget the vanished ones). -#}
{% macro record_lake_changes() -%}
    {%- if lake_changes_tracked() -%}
        {%- set batches = lake_changes_table('batches') -%}
        {%- set pending = lake_changes_table('pending') -%}
        delete from {{ batches }} as done
        where
            exists (
                select 1 from {{ pending }} as changed
                where changed.batch_id = done.batch_id and changed.partition_value = done.partition_value
            )
            or exists (select 1 from {{ pending }} where full_build);
        insert into {{ batches }}
        select batch_id, partition_value, n_rows from {{ pending }} where not vanished;
        delete from {{ pending }}
    {%- endif -%}
{%- endmacro %}


{#-
    SQL selecting the partition keys of `new_rows` (a CTE name) to write: on a full build all of them;
    on an incremental run those whose content differs from the existing table (`this`): for each
    partition, the row count and an order-independent fingerprint (bit_xor of the hash of every row).
    Cost proportional to the whole table: prefer the batch-driven macros above.
-#}
{% macro changed_partitions(new_rows, partition_by) -%}
    {%- if not is_incremental() -%}
    select distinct {{ partition_by | join(', ') }}
    from {{ new_rows }}
    {%- else -%}
    with

    new_fingerprints as (

        select
            {% for key in partition_by -%}
                {{ key }},
            {% endfor -%}
            count(*) as n_rows,
            bit_xor(hash(new_rows)) as fingerprint

        from {{ new_rows }} as new_rows

        group by {{ partition_by | join(', ') }}

    ),

    existing_fingerprints as (

        select
            {% for key in partition_by -%}
                {{ key }},
            {% endfor -%}
            count(*) as n_rows,
            bit_xor(hash(existing_rows)) as fingerprint

        from {{ this }} as existing_rows

        group by {{ partition_by | join(', ') }}

    )

    select
        {% for key in partition_by -%}
            new_fingerprints.{{ key }}{{ "," if not loop.last }}
        {% endfor %}
    from new_fingerprints

    left join existing_fingerprints
        on
            {% for key in partition_by -%}
                {{ "and " if not loop.first }}new_fingerprints.{{ key }} = existing_fingerprints.{{ key }}
            {% endfor %}
    where
        existing_fingerprints.n_rows is null
        or new_fingerprints.n_rows != existing_fingerprints.n_rows
        or new_fingerprints.fingerprint != existing_fingerprints.fingerprint
    {%- endif -%}
{%- endmacro %}


{#-
    Pre-hook of the fingerprint models: on an incremental run, delete the rows of the partitions that no
    longer exist in `source_relation` (their lake files were removed). Renders nothing on a full build.
-#}
{% macro delete_vanished_partitions(source_relation, partition_by) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as existing_rows
        where not exists (
            select 1
            from {{ source_relation }} as source_rows
            where
                {% for key in partition_by -%}
                    {{ "and " if not loop.first }}source_rows.{{ key }} = existing_rows.{{ key }}
                {% endfor %}
        )
    {%- endif -%}
{%- endmacro %}
