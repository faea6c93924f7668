{#-
    Freshness of the absence data per school year and region: the last school day loaded (the last day
    of agg_absence_class_daily for which the region sent a roll call or an absence), its rank in the
    year and the number of school days loaded. A dozen rows, read by the data-quality page instead of
    scanning the daily aggregate; the publication gate counts the days behind on the same calendar.
-#}

with

daily as (

    select * from {{ ref('agg_absence_class_daily') }}

    where recording_status != 'no_file_received'

),

final as (

    select
        school_year,
        region_code,
        max(calendar_date) as last_day_loaded,
        max(school_day_number) as last_day_number,
        count(distinct calendar_date) as school_days_loaded

    from daily

    group by school_year, region_code

)

select * from final
