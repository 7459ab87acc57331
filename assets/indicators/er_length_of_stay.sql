-- permanencia no pronto-socorro: p50 and p90 minutes from arrival to leaving the ER, per
-- month of arrival. Visits still in the ER (no left_at) wait for a later load.
with stays as (
    select
        cast(date_trunc('month', arrived_at) as date) as period,
        epoch(left_at - arrived_at) / 60.0 as minutes
    from main.er_visits
    where arrived_at is not null and left_at is not null and in_periods(arrived_at)
),

quantiles as (
    select
        period,
        quantile_cont(minutes, 0.5) as p50,
        quantile_cont(minutes, 0.9) as p90
    from stays
    group by period
),

final as (
    select
        q.period,
        '{}' as dimensions,
        m.measure,
        m.value
    from quantiles as q
    cross join lateral (values ('p50', q.p50), ('p90', q.p90)) as m (measure, value)
)

select * from final
