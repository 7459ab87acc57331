-- prazo de faturamento: days from the encounter's discharge to the account being sent to the
-- payer, p50 and p90 per month of sending. Accounts of encounters without a discharge are left
-- out (their coverage says how many).
with lags as (
    select
        cast(date_trunc('month', b.billed_at) as date) as period,
        epoch(b.billed_at - e.discharged_at) / 86400.0 as lag_days
    from main.billing as b
    inner join main.encounters as e on b.encounter_id = e.encounter_id
    where b.billed_at is not null and e.discharged_at is not null and in_periods(b.billed_at)
),

quantiles as (
    select
        period,
        quantile_cont(lag_days, 0.5) as p50,
        quantile_cont(lag_days, 0.9) as p90
    from lags
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
