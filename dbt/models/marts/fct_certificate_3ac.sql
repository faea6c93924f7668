{#-
    One row per candidate of the 3AC regional exam (certificat de l'enseignement collégial) and year.
    Rule (seed certificate_weights, 3AC): certificate_average = regional exam x 0.40 + school unified
    tests x 0.30 + continuous tests x 0.30, each component a coefficient-weighted mean over subjects
    (seed subject_coefficients, level 3AC). Regional exam: the normal session; a missed paper counts
    0. School exam: the year's unified tests; continuous: the year's continuous-test means (per
    subject, averaged over the semesters). Each component and the certificate average are computed with
    exact decimal sums and rounded half up to 2 decimals (macros/rounded_average.sql; the per-subject
    means over the semesters are carried to 4 decimals). Passed when the rounded average reaches
    var('certificate_pass_mark').
    A candidate without one of the three components is incomplete: certificate_average and passed are
    null (not available is not a failure) and missing_component lists the missing components (codes of
    seed certificate_weights, comma-separated).
-#}

with

papers as (

    select * from {{ ref('int_exam__papers') }}

),

candidates as (

    select * from {{ ref('int_exam__candidates') }}

    where level_code = '3AC' and scope = 'regional'

),

weights as (

    select
        max(weight) filter (where component = 'regional_exam') as regional_weight,
        max(weight) filter (where component = 'school_exam') as school_weight,
        max(weight) filter (where component = 'continuous') as continuous_weight

    from {{ ref('certificate_weights') }}

    where certificate_code = '3AC'

),

subject_averages as (

    select * from {{ ref('fct_subject_average') }}

),

regional_papers as (

    select * from papers

    where
        level_code = '3AC'
        and scope = 'regional'
        and exam_session = 'normal'

),

regional as (

    select
        regional_papers.student_key,
        regional_papers.school_year,
        {{ round_half_up_ratio(
            'sum(' ~ exact('regional_papers.grade') ~ ' * ' ~ exact(subject_coefficient(
                "'3AC'", 'candidates.stream_code', 'regional_papers.subject_code'
            )) ~ ')',
            'sum(' ~ exact(subject_coefficient(
                "'3AC'", 'candidates.stream_code', 'regional_papers.subject_code'
            )) ~ ')',
        ) }} as regional_exam_average

    from regional_papers

    inner join candidates
        on
            regional_papers.student_key = candidates.student_key
            and regional_papers.school_year = candidates.school_year

    group by regional_papers.student_key, regional_papers.school_year

),

school_year_subjects as (

    select
        student_key,
        school_year,
        subject_code,
        -- means over the semesters from exact decimal sums (one division: the same double in every build)
        sum({{ exact('unified_grade') }}) / count(unified_grade) as unified_grade,
        sum({{ exact('continuous_average') }}) / count(continuous_average) as continuous_average,
        max(coefficient) as coefficient

    from subject_averages

    where level_code = '3AC'

    group by student_key, school_year, subject_code

),

school_parts as (

    select
        student_key,
        school_year,
        {{ round_half_up_ratio(
            'sum(' ~ exact('unified_grade') ~ ' * ' ~ exact('coefficient') ~ ')',
            'sum(' ~ exact('coefficient') ~ ') filter (where unified_grade is not null)',
        ) }} as school_exam_average,
        {{ round_half_up_ratio(
            'sum(' ~ exact('continuous_average') ~ ' * ' ~ exact('coefficient') ~ ')',
            'sum(' ~ exact('coefficient') ~ ') filter (where continuous_average is not null)',
        ) }} as continuous_average

    from school_year_subjects

    group by student_key, school_year

),

final as (

    select
        candidates.student_key,
        candidates.school_year,
        candidates.school_code,
        candidates.region_code,
        candidates.province_code,
        candidates.sex,
        candidates.sector,
        regional.regional_exam_average,
        school_parts.school_exam_average,
        school_parts.continuous_average,
        {{ round_half_up_ratio(
            exact('regional.regional_exam_average') ~ ' * ' ~ exact('weights.regional_weight')
            ~ ' + ' ~ exact('school_parts.school_exam_average') ~ ' * ' ~ exact('weights.school_weight')
            ~ ' + ' ~ exact('school_parts.continuous_average') ~ ' * ' ~ exact('weights.continuous_weight'),
            '1',
        ) }} as certificate_average,
        regional.regional_exam_average is not null
        and school_parts.school_exam_average is not null
        and school_parts.continuous_average is not null as is_complete,
        nullif(concat_ws(
            ',',
            case when regional.regional_exam_average is null then 'regional_exam' end,
            case when school_parts.school_exam_average is null then 'school_exam' end,
            case when school_parts.continuous_average is null then 'continuous' end
        ), '') as missing_component,
        -- DuckDB reads certificate_average as the column defined just above (lateral alias)
        {{ reaches_mark('certificate_average', var('certificate_pass_mark')) }} as passed

    from candidates

    cross join weights

    left join regional
        on
            candidates.student_key = regional.student_key
            and candidates.school_year = regional.school_year

    left join school_parts
        on
            candidates.student_key = school_parts.student_key
            and candidates.school_year = school_parts.school_year

)

select * from final
