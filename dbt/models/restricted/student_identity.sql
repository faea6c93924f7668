{#- Restricted: the only table linking the pseudonymous student_key to a pupil's identity. -#}

with

pupils as (

    select * from {{ ref('int_pupil__latest') }}

),

final as (

    select
        {{ student_key('student_code') }} as student_key,
        student_code,
        last_name_ar,
        first_name_ar,
        last_name_fr,
        first_name_fr,
        sex,
        birth_date,
        guardian_name,
        parent_secret_hash

    from pupils

)

select * from final
