{#-
    One row per pupil, school year, semester and subject: the subject average of the semester.
    Rule: subject_average = mean of the continuous tests (assessment kind 'continuous') x
    var('grade_weight_continuous') + unified test x var('grade_weight_unified'), renormalized over the
    parts present (a subject with no unified test is its continuous mean), computed exactly from the
    marks (decimal sums, one rational) and rounded half up to 2 decimals (macros/rounded_average.sql).
    Missed tests (missed_code) are left out. The coefficient comes from seed subject_coefficients for the
    class's level and stream.
-#}

with

grades as (

    select * from {{ ref('fct_grade') }}

),

assessment_types as (

    select * from {{ ref('code_assessment_types') }}

),

classes as (

    select * from {{ ref('stg_massar__classes') }}

),

parts as (

    select
        grades.student_key,
        grades.school_year,
        grades.semester,
        grades.subject_code,
        max(grades.class_code) as class_code,
        max(grades.school_code) as school_code,
        max(grades.region_code) as region_code,
        -- exact decimal sums: the same value whatever order the rows are summed in
        sum({{ exact('grades.grade') }}) filter (where assessment_types.kind = 'continuous')
            as continuous_sum,
        count(grades.grade) filter (where assessment_types.kind = 'continuous') as continuous_tests,
        sum({{ exact('grades.grade') }}) filter (where assessment_types.kind = 'unified') as unified_sum,
        count(grades.grade) filter (where assessment_types.kind = 'unified') as unified_tests

    from grades

    inner join assessment_types
        on grades.assessment_type = assessment_types.assessment_type

    group by grades.student_key, grades.school_year, grades.semester, grades.subject_code

),

final as (

    select
        parts.student_key,
        parts.school_year,
        parts.semester,
        parts.subject_code,
        parts.class_code,
        parts.school_code,
        parts.region_code,
        classes.level_code,
        classes.stream_code,
        parts.continuous_sum / nullif(parts.continuous_tests, 0) as continuous_average,
        parts.continuous_tests,
        parts.unified_sum / nullif(parts.unified_tests, 0) as unified_grade,
        -- (w_c x continuous_sum / n_c + w_u x unified_sum / n_u) / (w_c + w_u, present parts), as one
        -- exact ratio: both sides multiplied by n_c x n_u (a missing part counts 1 and weighs 0)
        {{ round_half_up_ratio(
            exact(var('grade_weight_continuous')) ~ ' * coalesce(parts.continuous_sum, 0)'
            ~ ' * greatest(parts.unified_tests, 1) + ' ~ exact(var('grade_weight_unified'))
            ~ ' * coalesce(parts.unified_sum, 0) * greatest(parts.continuous_tests, 1)',
            '(case when parts.continuous_tests > 0 then ' ~ exact(var('grade_weight_continuous'))
            ~ ' else 0 end + case when parts.unified_tests > 0 then ' ~ exact(var('grade_weight_unified'))
            ~ ' else 0 end) * greatest(parts.continuous_tests, 1) * greatest(parts.unified_tests, 1)',
        ) }} as subject_average,
        cast(
            {{ subject_coefficient('classes.level_code', 'classes.stream_code', 'parts.subject_code') }}
            as double
        ) as coefficient

    from parts

    left join classes
        on
            parts.school_year = classes.school_year
            and parts.class_code = classes.class_code

)

select * from final
