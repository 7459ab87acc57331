-- permanencia no pronto-socorro: p50 and p90 minutes from arrival to leaving the ER, per
-- month of arrival. Visits still in the ER (no left_at) wait for a later load.
-- stays is read by name by p50_p90 (assets/macros/measures.sql)
with stays as (  -- noqa: ST03
    select
        cast(date_trunc('month', arrived_at) as date) as period,
        '{}' as dimensions,
        epoch(left_at - arrived_at) / 60.0 as value
    from main.er_visits
    where arrived_at is not null and left_at is not null and in_periods(arrived_at)
),

final as (
    select
        period,
        dimensions,
        measure,
        value
    from p50_p90('stays')
)

select * from final
