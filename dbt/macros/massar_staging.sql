{#-
    The staging model of a source entity: its current state (macro lake_current_state), typed and trimmed,
    with the lineage columns _drop_date and _batch_id. The key and the columns come from the entity's
    contract through macro massar_contract, generated from ingestion/contracts/ by
    `massar contracts generate-dbt`: a staging model is one call of this macro.

    Per column: a mandatory string is trimmed, an optional string is trimmed and an empty value read as
    null, any other type is cast to the contract's type.

    Arguments: entity (the contract's name; the source table and the entity in the deletions), may_be_empty
    (the lake folder may hold no file yet, for an entity added after lakes were written: then an empty,
    typed relation instead of read_parquet's error), optional_columns (name: SQL type of columns a lake
    written by an older ingestion may lack, read as null: macro lake_current_state), drop_sensitive (leave
    out the columns the contract marks sensitive: a staging view in the analysts' file never carries names).
-#}
{% macro massar_staging(entity, may_be_empty=false, optional_columns={}, drop_sensitive=false) -%}
    {%- set contract = massar_contract(entity) -%}
    {%- set relation = source('massar', entity) -%}
    with

    source as (

        {% if not may_be_empty or lake_source_has_files(relation) -%}
            {{ lake_current_state(relation, entity, contract['primary_key'], optional_columns) }}
        {%- else -%}
            select
                {%- for column in contract['columns'] %}
                cast(null as {{ portable_type(column[1]) }}) as {{ column[0] }},
                {%- endfor %}
                cast(null as date) as _drop_date,
                cast(null as {{ portable_type('varchar') }}) as _batch_id
            where false
        {%- endif %}

    ),

    renamed as (

        select
            {%- for column in contract['columns'] %}
            {%- set name, type, mandatory = column %}
            {%- if drop_sensitive and name in contract['sensitive'] %}
            {%- elif type == 'varchar' and mandatory %}
            trim(cast({{ name }} as {{ portable_type(type) }})) as {{ name }},
            {%- elif type == 'varchar' %}
            nullif(trim(cast({{ name }} as {{ portable_type(type) }})), '') as {{ name }},
            {%- else %}
            cast({{ name }} as {{ portable_type(type) }}) as {{ name }},
            {%- endif %}
            {%- endfor %}
            cast(_drop_date as date) as _drop_date,
            cast(_batch_id as {{ portable_type('varchar') }}) as _batch_id

        from source

    )

    select * from renamed
{%- endmacro %}
