{#-
    Current state of the social-support records (macro lake_current_state). The folder may hold no file
    yet: then an empty, typed relation.
-#}
{%- set social_support = source('massar', 'social_support') -%}

with

source as (

    {% if lake_source_has_files(social_support) -%}
        {{ lake_current_state(
            social_support, 'social_support', ['school_year', 'student_code', 'programme_code']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as student_code,
            cast(null as varchar) as programme_code,
            cast(null as date) as start_date,
            cast(null as double) as amount_mad,
            cast(null as date) as _drop_date,
            cast(null as varchar) as _batch_id
        where false
    {%- endif %}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(school_code as varchar)) as school_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(programme_code as varchar)) as programme_code,
        cast(start_date as date) as start_date,
        cast(amount_mad as double) as amount_mad,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
