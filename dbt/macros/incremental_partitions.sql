{#-
    Incremental models over the Parquet lake.

    Batch-driven (cost proportional to the drop): incremental_lake_changes, lake_changes_filter,
    lake_changes_in, delete_lake_changes (or delete_lake_changes_since), record_lake_changes. Used by
    fct_absence, fct_absence_daily, fct_grade, fct_attendance_ytd, agg_absence_class_daily and
    int_attendance__class_days.

    What dbt gives, and what is left here
    -------------------------------------
    - dbt's incremental materialization and is_incremental(): the models are `materialized='incremental'`
      (lake_incremental_config); a first build or --full-refresh is dbt's own full build, and every macro
      below asks is_incremental() to tell the two apart.
    - Model config hooks: the deletion (pre_hook) and the bookkeeping (post_hook) are the model's own
      hooks, set by lake_incremental_config, in the model's transaction.
    - incremental_strategy 'append', not 'delete+insert' nor 'merge': those replace the target rows whose
      unique_key matches a new row, so a partition whose rows were all deleted from the lake (a deletion
      file, a withdrawn drop) has no new row and would keep its old rows. The pre-hook deletes every
      changed partition, emptied ones included, then dbt appends.
    - Not 'microbatch': microbatch cuts the work in event-time windows (absence_date) and reprocesses a
      fixed lookback. The lake's changes are ingestion batches that reach any past day of the year
      (corrections, deletions, a late region's roll calls): a lookback would miss them, or have to cover
      the whole year, which is a full rebuild every day.
    - Compile-time queries (run_query in incremental_lake_changes): the changed partitions must reach the
      model's SQL as constants, because DuckDB prunes hive folders and Parquet row groups on constant
      filters only. Measured on the 3,000-pupil demo lake (absences: 226,087 rows in 192 files), keeping
      one school day: as constants (lake_changes_filter), 63 files read, 330 rows, 16 ms; as a subquery on
      the snapshot table, all 192 files and 226,087 rows, 110 ms (7x, growing with the history). The
      compile-time work costs 0.5-1.8 s per model on the demo's full build (run_results.json, compile
      phase: fct_attendance_ytd 1.8 s, agg_absence_class_daily 1.1 s, fct_grade 0.5 s) and follows the
      new batches only on a daily one (phase 1 below). Models that filter warehouse tables, not Parquet,
      read the snapshot at run time instead (lake_changes_in).

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
      conventions exclude, is not seen). Batches are first compared by their row counts alone (one
      column read); only the batches whose count differs have their partitions computed, so the cost
      of a run follows its new batches, not the history;
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


{#-
    The configuration every batch-driven incremental model shares: appended rows, a schema change
    fails the run, the pre-hook deletes what the run rewrites (`delete_hook`: a hook string, by default
    delete_lake_changes on the partition columns `partition_by`), the post-hook records the batches.
    Called from the model, so `config` is the model's own.
-#}
{% macro lake_incremental_config(partition_by=none, delete_hook=none) -%}
    {%- if delete_hook is none -%}
        {%- set delete_hook = "{{ delete_lake_changes(" ~ (partition_by | list | tojson) ~ ") }}" -%}
    {%- endif -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=delete_hook,
        post_hook="{{ record_lake_changes() }}",
    ) }}
{%- endmacro %}


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
    {%- if not massar_tracks_lake_changes() -%}{{ return(false) }}{%- endif -%}
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
        the `partition_by` columns. A mapping instead names, per entity, its own columns for the key (in
        partition_by order), for entities whose date columns are named differently (absence_date,
        roll_call_date).
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
    {%- set batches = lake_changes_table('batches') -%}
    {%- set pending = lake_changes_table('pending') -%}
    {#- (file set, partition value SQL) of every lake source of the model -#}
    {%- set sources = [] -%}
    {%- for entity in entities -%}
        {%- set entity_columns = entities[entity] if entities is mapping else partition_by -%}
        {%- for deletions in [false, true] -%}
            {%- set files = lake_entity_files(entity, deletions) -%}
            {%- if files is not none -%}
                {%- do sources.append((files, lake_partition_value(entity_columns))) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for entity in whole_year_entities -%}
        {%- for deletions in [false, true] -%}
            {%- set files = lake_entity_files(entity, deletions) -%}
            {%- if files is not none -%}
                {%- do sources.append((files, "'*'")) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set settings_row = none -%}
    {%- set settings_id = none -%}
    {%- if settings is not none -%}
        {%- set settings_id = 'settings:' ~ local_md5(settings | string) -%}
        {%- set settings_row = "select " ~ massar_string_literal(settings_id)
            ~ " as batch_id, '*' as partition_value, 1 as n_rows" -%}
    {%- endif -%}
    {%- set empty_row = "select cast(null as varchar) as batch_id, cast(null as varchar) as partition_value, "
        ~ "cast(null as bigint) as n_rows where false" -%}
    {%- set setup -%}
        create schema if not exists audit;
        create table if not exists {{ batches }} (
            batch_id varchar not null, partition_value varchar not null, n_rows bigint not null
        )
    {%- endset -%}
    {%- do run_query(setup) -%}
    {#-
        Phase 1, cheap (one dictionary-encoded column): the batches whose row count differs from the one
        recorded (new, vanished, or that lost or gained rows). A batch with the same count is taken as
        unchanged (lake batches are immutable; compaction keeps their rows), so a daily run computes the
        partition values of the day's batches only, not of the whole history (at 1 M pupils: 0.1 s
        instead of 1-5 s per model). A full build examines every batch.
    -#}
    {%- set examined = none -%}
    {%- if not full_build -%}
        {%- set count_parts = [] -%}
        {%- for files, _ in sources -%}
            {%- do count_parts.append(
                "select cast(_batch_id as varchar) as batch_id, count(*) as n_rows from " ~ files ~ " group by 1"
            ) -%}
        {%- endfor -%}
        {%- if settings_row is not none -%}
            {%- do count_parts.append("select batch_id, n_rows from (" ~ settings_row ~ ")") -%}
        {%- endif -%}
        {%- do count_parts.append("select cast(null as varchar), cast(null as bigint) where false") -%}
        {%- set differing -%}
            with
            lake_totals as (
                select batch_id, sum(n_rows) as n_rows
                from ({{ count_parts | join('\nunion all\n') }})
                group by batch_id
            ),
            done_totals as (
                select batch_id, sum(n_rows) as n_rows from {{ batches }} group by batch_id
            )
            select coalesce(lake_totals.batch_id, done_totals.batch_id)
            from lake_totals
            full outer join done_totals on lake_totals.batch_id = done_totals.batch_id
            where lake_totals.n_rows is distinct from done_totals.n_rows
            order by 1
        {%- endset -%}
        {%- set examined = run_query(differing).columns[0].values() | list -%}
    {%- endif -%}
    {#- Phase 2: the partitions of the examined batches, in the lake and as recorded. -#}
    {%- set batch_filter = '' -%}
    {%- if examined is not none -%}
        {%- set literals = [] -%}
        {%- for batch_id in examined -%}
            {%- do literals.append(massar_string_literal(batch_id)) -%}
        {%- endfor -%}
        {%- set batch_filter = "cast(_batch_id as varchar) in (" ~ ((literals | join(', ')) or "null") ~ ")" -%}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- if examined is none or examined -%}
        {%- for files, partition_value in sources -%}
            {%- do parts.append(
                "select cast(_batch_id as varchar) as batch_id, " ~ partition_value
                ~ " as partition_value, count(*) as n_rows from " ~ files
                ~ (" where " ~ batch_filter if batch_filter else "") ~ " group by all"
            ) -%}
        {%- endfor -%}
        {%- if settings_row is not none and (examined is none or settings_id in examined) -%}
            {%- do parts.append(settings_row) -%}
        {%- endif -%}
    {%- endif -%}
    {%- do parts.append(empty_row) -%}
    {%- set batches_sql = parts | join('\nunion\n') -%}
    {%- set snapshot -%}
        create or replace table {{ pending }} as
        with
        lake_batches as ({{ batches_sql }}),
        done as (
            select batch_id, partition_value, n_rows
            from {{ batches }}
            where not {{ full_build }}
            {%- if batch_filter %} and batch_id in (select unnest([{{ literals | join(', ') }}]::varchar[])){% endif %}
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


{#- Post-hook: record the batches now taken into account (and forget the vanished ones), and the
    partitions this run rewrote in audit.incremental_last__<model> ('*' for all of them), which scope the
    model's tests in a daily build (macros/scoped_tests.sql). -#}
{% macro record_lake_changes() -%}
    {%- if lake_changes_tracked() -%}
        {%- set batches = lake_changes_table('batches') -%}
        {%- set pending = lake_changes_table('pending') -%}
        create or replace table {{ lake_changes_table('last') }} as
        select distinct case when full_build then '*' else partition_value end as partition_value
        from {{ pending }};
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
    Pre-hook of a model partitioned by (school_year, absence_date) whose rows of a day also depend on the
    days before it (a running sum) and on the last day loaded per region (rows run up to it): instead of the
    changed partitions alone, rewrite every day of a school year from its earliest changed day. Computed at
    run time into audit.incremental_since__<model> (school_year, from_date), read by the model's SQL, then
    the rows from that day on are deleted. from_date per school year is the earliest of:
    - the days of the changed partitions (audit.incremental_pending__<model>);
    - for a region whose last loaded day (max(`last_column`) of `last_relation` now, max(`date_column`) of
      the table before the run) moved, the earlier of the two (the days in between appear or disappear);
      a region (or school year) present on one side only rewrites its whole year;
    - the first day of the calendar (1900-01-01) for every school year when every partition changed ('*').
    No row for a school year: nothing of it is rewritten.
-#}
{% macro delete_lake_changes_since(date_column, last_relation, last_column) -%}
    {%- if is_incremental() and lake_changes_tracked() -%}
        {%- set pending = lake_changes_table('pending') -%}
        {%- set since = lake_changes_table('since') -%}
        create or replace table {{ since }} as
        with
        changed_days as (
            select
                split_part(partition_value, '|', 1) as school_year,
                cast(split_part(partition_value, '|', 2) as date) as from_date
            from {{ pending }}
            where partition_value != '*'
        ),
        new_last as (
            select school_year, region_code, max({{ last_column }}) as last_date
            from {{ last_relation }}
            group by school_year, region_code
        ),
        old_last as (
            select school_year, region_code, max({{ date_column }}) as last_date
            from {{ this }}
            group by school_year, region_code
        ),
        moved as (
            select
                coalesce(new_last.school_year, old_last.school_year) as school_year,
                case
                    when new_last.last_date is null or old_last.last_date is null
                        then cast('1900-01-01' as date)
                    else least(new_last.last_date, old_last.last_date)
                end as from_date
            from new_last
            full outer join old_last
                on new_last.school_year = old_last.school_year and new_last.region_code = old_last.region_code
            where new_last.last_date is distinct from old_last.last_date
        ),
        every_day as (
            select school_year, cast('1900-01-01' as date) as from_date
            from (select school_year from new_last union select school_year from old_last)
            where exists (select 1 from {{ pending }} where partition_value = '*')
        )
        select school_year, min(from_date) as from_date
        from (
            select * from changed_days
            union all
            select * from moved
            union all
            select * from every_day
        )
        group by school_year;
        delete from {{ this }} as existing_rows
        where exists (
            select 1 from {{ since }}
            where
                {{ since }}.school_year = existing_rows.school_year
                and existing_rows.{{ date_column }} >= {{ since }}.from_date
        )
    {%- endif -%}
{%- endmacro %}
