-- media de permanencia: patient-days / saidas, per month with census days. A month with
-- census days and no saida has no value (division by zero), but its patient_days and saidas
-- are reported, so the month is visible and its completeness says why.
with months as (
    select * from census_months()
),

exits as (
    select
        period,
        count(*) as saidas
    from saidas()
    group by period
),

joined as (
    select
        m.period,
        m.patient_days,
        coalesce(e.saidas, 0) as saidas
    from months as m
    left join exits as e on m.period = e.period
),

final as (
    select
        j.period,
        '{}' as dimensions,
        v.measure,
        v.value
    from joined as j
    cross join lateral (
        values
        ('value', j.patient_days / nullif(j.saidas, 0)),
        ('patient_days', j.patient_days),
        ('saidas', j.saidas)
    ) as v (measure, value)
)

select * from final
