{#-
    Pupils with and without disabilities, their attendance and results, by school year x region x province
    x cycle x disability type x class setting (doc block agg_inclusive_education). Pupils without a
    disability form the rows whose disability_type and class_setting are null (the comparison group).
-#}

with

attendance as (

    select * from {{ ref('fct_attendance_ytd') }}

),

results as (

    select * from {{ ref('fct_annual_result') }}

),

special_needs as (

    select * from {{ ref('fct_special_needs') }}

),

pupils as (

    select
        attendance.school_year,
        attendance.region_code,
        attendance.province_code,
        attendance.cycle_code,
        special_needs.disability_type,
        special_needs.class_setting,
        coalesce(special_needs.individual_plan, false) as individual_plan,
        attendance.enrolled_school_days,
        attendance.absent_days,
        results.annual_average,
        {{ reaches_mark('results.annual_average', 'results.promote_min_annual_average') }}
            as reaches_pass_mark

    from attendance

    left join special_needs
        on
            attendance.student_key = special_needs.student_key
            and attendance.school_year = special_needs.school_year

    left join results
        on attendance.student_key = results.student_key and attendance.school_year = results.school_year

),

final as (

    select
        school_year,
        region_code,
        province_code,
        cycle_code,
        disability_type,
        class_setting,
        count(*) as pupils,
        count(*) filter (where individual_plan) as with_individual_plan,
        cast(sum(absent_days) as bigint) as absent_days,
        cast(sum(enrolled_school_days) as bigint) as enrolled_school_days,
        100.0 * sum(absent_days) / nullif(sum(enrolled_school_days), 0) as absence_rate,
        count(annual_average) as pupils_with_result,
        count(*) filter (where reaches_pass_mark) as pupils_reaching_pass_mark,
        100.0 * count(*) filter (where reaches_pass_mark) / nullif(count(annual_average), 0) as pass_mark_rate

    from pupils

    group by school_year, region_code, province_code, cycle_code, disability_type, class_setting

)

select * from final
