{#-
    Current state of the staff situations (teachers' grade and administrative situation) (macro lake_current_state). The folder may hold no file yet: then an
    empty, typed relation.
-#}
{%- set staff_situations = source('massar', 'staff_situations') -%}

with

source as (

    {% if lake_source_has_files(staff_situations) -%}
        {{ lake_current_state(
            staff_situations, 'staff_situations', ['school_year', 'teacher_code']
        ) }}
    {%- else -%}
        select
            cast(null as varchar) as school_year,
            cast(null as varchar) as region_code,
            cast(null as varchar) as school_code,
            cast(null as varchar) as teacher_code,
            cast(null as varchar) as grade_code,
            cast(null as varchar) as status_code,
            cast(null as date) as status_since,
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
        trim(cast(teacher_code as varchar)) as teacher_code,
        trim(cast(grade_code as varchar)) as grade_code,
        trim(cast(status_code as varchar)) as status_code,
        cast(status_since as date) as status_since,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
