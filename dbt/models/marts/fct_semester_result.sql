{#-
    One row per pupil, school year and semester: the general average (the rounded subject averages
    weighted by their coefficients, subjects without an average left out; exact decimal sums, rounded
    half up to 2 decimals) and the rank in the class on that rounded average (1 = best; equal averages
    share a rank, the next rank skips; pupils without an average are not ranked).
-#}

with

subject_averages as (

    select * from {{ ref('fct_subject_average') }}

),

general as (

    select
        student_key,
        school_year,
        semester,
        max(class_code) as class_code,
        max(school_code) as school_code,
        max(region_code) as region_code,
        max(level_code) as level_code,
        count(subject_average) as subjects_averaged,
        {{ round_half_up_ratio(
            'sum(' ~ exact('subject_average') ~ ' * ' ~ exact('coefficient') ~ ')',
            'sum(' ~ exact('coefficient') ~ ') filter (where subject_average is not null)',
        ) }} as general_average

    from subject_averages

    group by student_key, school_year, semester

),

final as (

    select
        *,
        case
            when general_average is not null
                then rank() over (
                        partition by school_year, class_code, semester, general_average is null
                        -- the average is rounded to 2 decimals: equal averages tie exactly
                        order by general_average desc
                    )
        end as rank_in_class,
        count(general_average) over (partition by school_year, class_code, semester) as class_pupils_ranked

    from general

)

select * from final
