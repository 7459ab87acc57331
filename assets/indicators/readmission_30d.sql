-- readmissao em 30 dias: discharges alive (alta or transferencia externa) followed by an
-- urgent inpatient admission of the same patient within 30 days (after the discharge, at most
-- 30 x 24 hours later) / discharges alive x 100, per month of the discharge. Each discharge
-- is its own index: in a chain, a readmission discharged alive is an index too. Elective
-- readmissions do not count. A discharge in the last 30 days of the data has an incomplete
-- window (its indicator coverage says how many).
with index_stays as (
    select
        encounter_id,
        patient_key,
        discharged_at,
        period
    from saidas()
    where discharge_type in ('alta', 'transferencia_externa')
),

admissions as (
    select
        patient_key,
        admitted_at
    from main.encounters
    where
        encounter_type = 'inpatient'
        and status = 'active'
        and admission_character = 'urgent'
),

readmitted as (
    select distinct i.encounter_id
    from index_stays as i
    inner join admissions as a
        on i.patient_key = a.patient_key
        and i.discharged_at < a.admitted_at
        and i.discharged_at + interval 30 days >= a.admitted_at
),

monthly as (
    select
        i.period,
        count(*) as discharges,
        count(r.encounter_id) as readmissions
    from index_stays as i
    left join readmitted as r on i.encounter_id = r.encounter_id
    group by i.period
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
        ('value', 100.0 * m.readmissions / m.discharges),
        ('discharges', m.discharges),
        ('readmissions', m.readmissions)
    ) as v (measure, value)
)

select * from final
