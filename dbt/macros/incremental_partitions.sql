{#-
    Helpers of the partition-wise incremental models (fct_absence, fct_grade).

    These models are incremental with the delete+insert strategy keyed on the lake partition
    (school_year, region_code). On an incremental run they insert only the partitions whose rows
    changed: for each partition, the row count and an order-independent fingerprint (bit_xor of the
    hash of every row) of the freshly computed rows are compared with those of the existing table.
    A partition is rewritten as a whole, so added, corrected and removed rows are all taken into
    account; partitions that vanished from the lake are deleted by a pre-hook. An incremental run
    therefore gives the same rows as a full refresh.
-#}


{#-
    SQL selecting the partition keys of `new_rows` (a CTE name) to write: on a full build all of them;
    on an incremental run those whose content differs from the existing table (`this`).
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
    Pre-hook: on an incremental run, delete the rows of the partitions that no longer exist in
    `source_relation` (their lake files were removed). Renders nothing on a full build.
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
