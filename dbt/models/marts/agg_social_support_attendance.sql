{#-
    Beneficiaries of each social-support programme and the attendance of beneficiaries vs
    non-beneficiaries, by school year x region x province x sector x area x cycle x programme
    (doc agg_social_support_attendance). Pupils: fct_attendance_ytd (one row per pupil and year).
-#}

with

attendance as (

    select * from {{ ref('fct_attendance_ytd') }}

),

support as (

    select * from {{ ref('fct_social_support') }}

),

programmes as (

    select * from {{ ref('code_social_programmes') }}

),

pupil_programme as (

    select
        attendance.school_year,
        attendance.region_code,
        attendance.province_code,
        attendance.sector,
        attendance.area,
        attendance.cycle_code,
        programmes.programme_code,
        attendance.enrolled_school_days,
        attendance.absent_days,
        support.student_key is not null as is_beneficiary,
        coalesce(support.amount_mad, 0) as amount_mad

    from attendance

    cross join programmes

    left join support
        on
            attendance.student_key = support.student_key
            and attendance.school_year = support.school_year
            and programmes.programme_code = support.programme_code

),

final as (

    select
        school_year,
        region_code,
        province_code,
        sector,
        area,
        cycle_code,
        programme_code,
        count(*) as pupils,
        count(*) filter (where is_beneficiary) as beneficiaries,
        100.0 * count(*) filter (where is_beneficiary) / count(*) as beneficiary_share,
        cast(coalesce(sum(absent_days) filter (where is_beneficiary), 0) as bigint)
            as beneficiary_absent_days,
        cast(coalesce(sum(enrolled_school_days) filter (where is_beneficiary), 0) as bigint)
            as beneficiary_enrolled_days,
        cast(coalesce(sum(absent_days) filter (where not is_beneficiary), 0) as bigint)
            as non_beneficiary_absent_days,
        cast(coalesce(sum(enrolled_school_days) filter (where not is_beneficiary), 0) as bigint)
            as non_beneficiary_enrolled_days,
        100.0
        * sum(absent_days) filter (where is_beneficiary)
        / nullif(sum(enrolled_school_days) filter (where is_beneficiary), 0) as beneficiary_absence_rate,
        100.0
        * sum(absent_days) filter (where not is_beneficiary)
        / nullif(sum(enrolled_school_days) filter (where not is_beneficiary), 0)
            as non_beneficiary_absence_rate,
        {{ exact_sum('amount_mad') }} as amount_mad

    from pupil_programme

    group by school_year, region_code, province_code, sector, area, cycle_code, programme_code

)

select * from final
