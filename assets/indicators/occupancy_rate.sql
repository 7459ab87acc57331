-- taxa de ocupacao operacional: patient-days / operational bed-days x 100, per month.
-- Blocked beds do not count; extra beds count while occupied at the census.
with census as (
    select * from census_days()
),

bed_days as (
    select * from operational_bed_days()
),

final as (
    select
        cast(date_trunc('month', c.day) as date) as period,
        '{}' as dimensions,
        'value' as measure,
        100.0 * sum(c.patient_days) / nullif(sum(b.beds), 0) as value
    from census as c
    inner join bed_days as b on c.day = b.day
    group by period
)

select * from final
