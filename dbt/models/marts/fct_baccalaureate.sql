{#-
    One row per candidate of the national baccalaureate exam and year.
    Rule (seed certificate_weights, BAC): bac_average = national exam x 0.50 + regional exam x 0.25 +
    continuous assessment x 0.25. National exam: coefficient-weighted mean (seed subject_coefficients,
    level 2BAC and the pupil's stream) of the papers; after the resit session each subject keeps the
    better of its normal and resit marks. Regional exam: the candidate's latest regional exam (taken in
    1BAC, normally the previous year; level 1BAC coefficients). Continuous: the 2BAC annual average
    (fct_annual_result). A missed exam paper counts 0. Each average is computed with exact decimal sums
    and rounded half up to 2 decimals (macros/rounded_average.sql). Passed when the rounded final
    average reaches var('certificate_pass_mark'); session_passed says whether at the normal session or the resit;
    mention from seed bac_mentions (passed candidates only). A candidate without one of the three
    components (no regional exam in the data, no annual average) is incomplete: averages, passed,
    session_passed and mention are null (not available is not a failure) and missing_component lists
    the components that are missing (codes of seed certificate_weights, comma-separated).
-#}

with

papers as (

    select * from {{ ref('int_exam__papers') }}

    where level_code in ('1BAC', '2BAC')

),

candidates as (

    select * from {{ ref('int_exam__candidates') }}

    where level_code in ('1BAC', '2BAC') and scope = 'national'

),

weights as (

    select
        max(weight) filter (where component = 'national_exam') as national_weight,
        max(weight) filter (where component = 'regional_exam') as regional_weight,
        max(weight) filter (where component = 'continuous') as continuous_weight

    from {{ ref('certificate_weights') }}

    where certificate_code = 'BAC'

),

mentions as (

    select * from {{ ref('bac_mentions') }}

),

annual as (

    select * from {{ ref('fct_annual_result') }}

),

national_subjects as (

    select
        papers.student_key,
        papers.school_year,
        papers.subject_code,
        max(papers.grade) filter (where papers.exam_session = 'normal') as normal_grade,
        -- resit: the better of the normal and resit marks of the subject
        max(papers.grade) as best_grade,
        max({{ subject_coefficient("'2BAC'", 'candidates.stream_code', 'papers.subject_code') }})
            as coefficient

    from papers

    inner join candidates
        on
            papers.student_key = candidates.student_key
            and papers.school_year = candidates.school_year

    where papers.scope = 'national'

    group by papers.student_key, papers.school_year, papers.subject_code

),

national_averages as (

    select
        student_key,
        school_year,
        {{ round_half_up_ratio(
            'sum(' ~ exact('coalesce(normal_grade, 0)') ~ ' * ' ~ exact('coefficient') ~ ')',
            'sum(' ~ exact('coefficient') ~ ')',
        ) }} as national_normal_average,
        {{ round_half_up_ratio(
            'sum(' ~ exact('best_grade') ~ ' * ' ~ exact('coefficient') ~ ')',
            'sum(' ~ exact('coefficient') ~ ')',
        ) }} as national_final_average

    from national_subjects

    group by student_key, school_year

),

regional_years as (

    -- the candidate's latest regional exam year up to the bac year
    select
        candidates.student_key,
        candidates.school_year,
        max(papers.school_year) as regional_school_year

    from candidates

    inner join papers
        on
            candidates.student_key = papers.student_key
            and candidates.school_year >= papers.school_year
            and papers.scope = 'regional'

    group by candidates.student_key, candidates.school_year

),

regional as (

    select
        regional_years.student_key,
        regional_years.school_year,
        {{ round_half_up_ratio(
            'sum(' ~ exact('papers.grade') ~ ' * ' ~ exact(subject_coefficient(
                "'1BAC'", 'candidates.stream_code', 'papers.subject_code'
            )) ~ ')',
            'sum(' ~ exact(subject_coefficient("'1BAC'", 'candidates.stream_code', 'papers.subject_code')) ~ ')',
        ) }} as regional_exam_average

    from regional_years

    inner join candidates
        on
            regional_years.student_key = candidates.student_key
            and regional_years.school_year = candidates.school_year

    inner join papers
        on
            regional_years.student_key = papers.student_key
            and regional_years.regional_school_year = papers.school_year
            and papers.scope = 'regional'
            and papers.exam_session = 'normal'

    group by regional_years.student_key, regional_years.school_year

),

combined as (

    select
        candidates.*,
        national_averages.national_normal_average,
        national_averages.national_final_average,
        regional.regional_exam_average,
        annual.annual_average as continuous_average,
        {{ round_half_up_ratio(
            exact('national_averages.national_normal_average') ~ ' * ' ~ exact('weights.national_weight')
            ~ ' + ' ~ exact('regional.regional_exam_average') ~ ' * ' ~ exact('weights.regional_weight')
            ~ ' + ' ~ exact('annual.annual_average') ~ ' * ' ~ exact('weights.continuous_weight'),
            '1',
        ) }} as normal_session_average,
        {{ round_half_up_ratio(
            exact('national_averages.national_final_average') ~ ' * ' ~ exact('weights.national_weight')
            ~ ' + ' ~ exact('regional.regional_exam_average') ~ ' * ' ~ exact('weights.regional_weight')
            ~ ' + ' ~ exact('annual.annual_average') ~ ' * ' ~ exact('weights.continuous_weight'),
            '1',
        ) }} as bac_average

    from candidates

    cross join weights

    left join national_averages
        on
            candidates.student_key = national_averages.student_key
            and candidates.school_year = national_averages.school_year

    left join regional
        on
            candidates.student_key = regional.student_key
            and candidates.school_year = regional.school_year

    left join annual
        on
            candidates.student_key = annual.student_key
            and candidates.school_year = annual.school_year

),

final as (

    select
        combined.student_key,
        combined.school_year,
        combined.school_code,
        combined.region_code,
        combined.province_code,
        combined.sex,
        combined.sector,
        combined.stream_code,
        combined.took_resit,
        combined.national_normal_average,
        combined.national_final_average,
        combined.regional_exam_average,
        combined.continuous_average,
        combined.normal_session_average,
        combined.bac_average,
        combined.national_final_average is not null
        and combined.regional_exam_average is not null
        and combined.continuous_average is not null as is_complete,
        nullif(concat_ws(
            ',',
            case when combined.national_final_average is null then 'national_exam' end,
            case when combined.regional_exam_average is null then 'regional_exam' end,
            case when combined.continuous_average is null then 'continuous' end
        ), '') as missing_component,
        {{ reaches_mark('combined.bac_average', var('certificate_pass_mark')) }} as passed,
        case
            when {{ reaches_mark('combined.normal_session_average', var('certificate_pass_mark')) }}
                then 'normal'
            when {{ reaches_mark('combined.bac_average', var('certificate_pass_mark')) }} then 'resit'
        end as session_passed,
        case
            when {{ reaches_mark('combined.bac_average', var('certificate_pass_mark')) }}
                then mentions.mention_code
        end as mention

    from combined

    left join mentions
        on
            combined.bac_average >= mentions.min_average
            and combined.bac_average < mentions.max_average

)

select * from final
