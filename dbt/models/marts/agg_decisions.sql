{#-
    End-of-year decisions (fct_annual_result.decision: promote, repeat; null = no annual average, so no
    decision) counted by school year x school x level x sex, with the sum of the annual averages for the
    mean of any group.
-#}

with

results as (

    select * from {{ ref('fct_annual_result') }}

),

schools as (

    select * from {{ ref('dim_school') }}

),

students as (

    select * from {{ ref('dim_student') }}

),

final as (

    select
        results.school_year,
        results.region_code,
        schools.province_code,
        results.school_code,
        results.cycle_code,
        results.level_code,
        students.sex,
        results.decision,
        count(*) as pupils,
        count(results.annual_average) as pupils_averaged,
        -- the averages have 2 decimals: their exact decimal sum, the same in every build
        cast(sum({{ exact('results.annual_average') }}) as double) as annual_average_sum

    from results

    left join schools
        on results.school_code = schools.school_code

    left join students
        on results.student_key = students.student_key

    group by
        results.school_year,
        results.region_code,
        schools.province_code,
        results.school_code,
        results.cycle_code,
        results.level_code,
        students.sex,
        results.decision

)

select * from final
