-- media de permanencia: patient-days / saidas (altas + obitos + transferencias externas),
-- per month.
with monthly_patient_days as (
    select
        cast(date_trunc('month', day) as date) as period,
        sum(patient_days) as patient_days
    from census_days()
    group by 1
),

exits as (
    select
        cast(date_trunc('month', discharged_at) as date) as period,
        count(*) as saidas
    from main.encounters
    where
        encounter_type = 'inpatient'
        and status = 'active'
        and admitted_at is not null
        and discharge_type in ('alta', 'obito', 'transferencia_externa')
    group by 1
),

final as (
    select
        d.period,
        '{}' as dimensions,
        'value' as measure,
        d.patient_days / e.saidas as value
    from monthly_patient_days as d
    inner join exits as e on d.period = e.period
)

select * from final
