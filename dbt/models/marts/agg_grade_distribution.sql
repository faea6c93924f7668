{#-
    Distribution of the pupils' semester subject averages (fct_subject_average) over the bins of seed
    grade_bins (lower_bound <= average < upper_bound; the last bin includes its upper bound), by school
    year x semester x school x level x subject. grade_sum keeps the sum of the averages, so that the mean
    of any territory, level or subject is sum(grade_sum) / sum(pupils).
    Rows are stored in (school_year, semester, territory) order: DuckDB's min-max zone maps then skip
    most row groups for one year, semester and region (benchmarks/bench_uis_pages.py, 1 M pupils, one
    run: a regional user's grades page from about 440 ms to about 60 ms).
-#}

with

averages as (

    select * from {{ ref('fct_subject_average') }}

    where subject_average is not null

),

schools as (

    select * from {{ ref('dim_school') }}

),

bins as (

    select * from {{ ref('grade_bins') }}

),

final as (

    select
        averages.school_year,
        averages.semester,
        averages.region_code,
        schools.province_code,
        averages.school_code,
        averages.level_code,
        averages.subject_code,
        bins.grade_bin,
        bins.lower_bound,
        bins.upper_bound,
        count(*) as pupils,
        -- the averages have 2 decimals: their exact decimal sum, the same in every build
        cast(sum({{ exact('averages.subject_average') }}) as double) as grade_sum

    from averages

    left join schools
        on averages.school_code = schools.school_code

    inner join bins
        on
            averages.subject_average >= bins.lower_bound
            and (
                averages.subject_average < bins.upper_bound
                or (bins.upper_inclusive and averages.subject_average = bins.upper_bound)
            )

    group by
        averages.school_year,
        averages.semester,
        averages.region_code,
        schools.province_code,
        averages.school_code,
        averages.level_code,
        averages.subject_code,
        bins.grade_bin,
        bins.lower_bound,
        bins.upper_bound

)

select * from final

order by school_year, semester, region_code, province_code, school_code
