-- triagem-atendimento medico: minutes from the end of the (first) triage to the first medical
-- contact, per month of arrival: p50 and p90 per triage colour and overall, and the share
-- within the protocol's target of each colour (the client file's triage targets, registered
-- as the table triage_targets before the indicators run). A doctor seen before the triage
-- ended gives a negative wait, kept as it is (within target).
with waits as (
    select
        cast(date_trunc('month', v.arrived_at) as date) as period,
        v.triage_colour as colour,
        epoch(v.first_medical_contact_at - v.triage_ended_at) / 60.0 as wait_minutes,
        t.target_minutes
    from main.er_visits as v
    left join triage_targets as t on v.triage_colour = t.colour
    where
        v.triage_ended_at is not null
        and v.first_medical_contact_at is not null
        and in_periods(v.arrived_at)
),

by_colour as (
    select
        period,
        cast(json_object('colour', colour) as varchar) as dimensions,
        quantile_cont(wait_minutes, 0.5) as p50,
        quantile_cont(wait_minutes, 0.9) as p90,
        100.0
        * count(*) filter (where wait_minutes <= target_minutes)
        / nullif(count(target_minutes), 0) as within_share
    from waits
    where colour is not null
    group by period, colour
),

overall as (
    select
        period,
        '{}' as dimensions,
        quantile_cont(wait_minutes, 0.5) as p50,
        quantile_cont(wait_minutes, 0.9) as p90,
        100.0
        * count(*) filter (where wait_minutes <= target_minutes)
        / nullif(count(target_minutes), 0) as within_share
    from waits
    group by period
),

measured as (
    select * from by_colour
    union all
    select * from overall
),

final as (
    select
        m.period,
        m.dimensions,
        v.measure,
        v.value
    from measured as m
    cross join lateral (
        values ('p50', m.p50), ('p90', m.p90), ('within_target', m.within_share)
    ) as v (measure, value)
)

select * from final
