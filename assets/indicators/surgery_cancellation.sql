-- cancelamento cirurgico: cancelled (or suspended) / scheduled surgeries x 100, per month of
-- the scheduled start. Bookings not yet done nor cancelled never reach the warehouse.
with monthly as (
    select
        cast(date_trunc('month', scheduled_start) as date) as period,
        count(*) as scheduled,
        count(*) filter (where status = 'cancelada') as cancelled
    from main.surgeries
    where in_periods(scheduled_start)
    group by 1
),

final as (
    select
        m.period,
        '{}' as dimensions,
        v.measure,
        v.value
    from monthly as m
    cross join lateral (
        values
        ('value', 100.0 * m.cancelled / m.scheduled),
        ('scheduled', m.scheduled),
        ('cancelled', m.cancelled)
    ) as v (measure, value)
)

select * from final
