{#- Current state of the entity: latest version per primary key, deletions applied
    (macro lake_current_state). -#}
with

source as (

    {{ lake_current_state(
        source('massar', 'pupils'), 'pupils', ['school_year', 'student_code'],
        {'parent_secret_hash': 'varchar'}
    ) }}

),

renamed as (

    select
        trim(cast(school_year as varchar)) as school_year,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(student_code as varchar)) as student_code,
        trim(cast(last_name_ar as varchar)) as last_name_ar,
        trim(cast(first_name_ar as varchar)) as first_name_ar,
        trim(cast(last_name_fr as varchar)) as last_name_fr,
        trim(cast(first_name_fr as varchar)) as first_name_fr,
        trim(cast(sex as varchar)) as sex,
        cast(birth_date as date) as birth_date,
        nullif(trim(cast(guardian_name as varchar)), '') as guardian_name,
        nullif(trim(cast(parent_secret_hash as varchar)), '') as parent_secret_hash,
        cast(_drop_date as date) as _drop_date,
        cast(_batch_id as varchar) as _batch_id

    from source

)

select * from renamed
