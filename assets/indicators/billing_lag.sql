-- prazo de faturamento: days from the encounter's discharge to the account being sent to the
-- payer, p50 and p90 per month of sending. Accounts of encounters without a discharge are left
-- out (their coverage says how many).
-- lags is read by name by p50_p90 (assets/macros/measures.sql)
with lags as (  -- noqa: ST03
    select
        cast(date_trunc('month', b.billed_at) as date) as period,
        '{}' as dimensions,
        epoch(b.billed_at - e.discharged_at) / 86400.0 as value
    from main.billing as b
    inner join main.encounters as e on b.encounter_id = e.encounter_id
    where b.billed_at is not null and e.discharged_at is not null and in_periods(b.billed_at)
),

final as (
    select
        period,
        dimensions,
        measure,
        value
    from p50_p90('lags')
)

select * from final
