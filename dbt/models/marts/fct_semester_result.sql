{#-
    One row per pupil, school year and semester: the general average (subject averages weighted by
    their coefficients, subjects without an average left out) and the rank in the class (1 = best;
    ties share a rank; pupils without an average are not ranked).
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
        sum(subject_average * coefficient)
        / nullif(sum(coefficient) filter (where subject_average is not null), 0)
            as general_average

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
                        -- rounded: pupils with the same average tie whatever the order of the float sums
                        order by round(general_average, 6) desc
                    )
        end as rank_in_class,
        count(general_average) over (partition by school_year, class_code, semester) as class_pupils_ranked

    from general

)

select * from final
