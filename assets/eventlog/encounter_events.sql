-- The event log of a published warehouse: case = encounter, one row per event (docs/CONTRACTS.md).
-- Activities come from the canonical datasets; cancelled encounters and surgeries are no process.
-- unit: the unit where the event happened (the canonical model has no staff ids).
with encounters as (
    select
        encounter_id,
        encounter_type,
        admitted_at,
        discharged_at,
        unit_code
    from main.encounters
    where status = 'active'
),

arrivals as (
    select
        v.encounter_id,
        'arrival' as activity,
        v.arrived_at as occurred_at,
        e.unit_code as unit,
        1 as activity_rank
    from main.er_visits as v
    inner join encounters as e on v.encounter_id = e.encounter_id
),

triages as (
    select
        v.encounter_id,
        'triage' as activity,
        v.triage_started_at as occurred_at,
        e.unit_code as unit,
        2 as activity_rank
    from main.er_visits as v
    inner join encounters as e on v.encounter_id = e.encounter_id
),

medical_contacts as (
    select
        v.encounter_id,
        'medical contact' as activity,
        v.first_medical_contact_at as occurred_at,
        e.unit_code as unit,
        3 as activity_rank
    from main.er_visits as v
    inner join encounters as e on v.encounter_id = e.encounter_id
),

admissions as (
    select
        encounter_id,
        'admission' as activity,
        admitted_at as occurred_at,
        unit_code as unit,
        4 as activity_rank
    from encounters
    where encounter_type = 'inpatient'
),

movements as (
    select
        m.encounter_id,
        m.started_at,
        m.unit_code,
        row_number() over (
            partition by m.encounter_id order by m.started_at, m.movement_id
        ) as n
    from main.bed_movements as m
    inner join encounters as e on m.encounter_id = e.encounter_id
),

transfers as (
    select
        encounter_id,
        'bed transfer' as activity,
        started_at as occurred_at,
        unit_code as unit,
        5 as activity_rank
    from movements
    where n > 1
),

exam_events as (
    select
        x.encounter_id,
        s.activity,
        s.occurred_at,
        cast(null as varchar) as unit,
        s.activity_rank
    from main.exams as x
    inner join encounters as e on x.encounter_id = e.encounter_id
    cross join lateral (
        values
        ('exam ordered', x.ordered_at, 6),
        ('exam collected', x.collected_at, 7),
        ('exam resulted', x.resulted_at, 8)
    ) as s (activity, occurred_at, activity_rank)
),

surgery_events as (
    select
        g.encounter_id,
        s.activity,
        s.occurred_at,
        cast(null as varchar) as unit,
        s.activity_rank
    from main.surgeries as g
    inner join encounters as e on g.encounter_id = e.encounter_id
    cross join
        lateral (
            values
            ('surgery start', g.started_at, 9),
            ('surgery end', g.ended_at, 10)
        ) as s (activity, occurred_at, activity_rank)
    where g.status = 'realizada'
),

discharges as (
    select
        encounter_id,
        'discharge' as activity,
        discharged_at as occurred_at,
        unit_code as unit,
        11 as activity_rank
    from encounters
),

billing_events as (
    select
        b.encounter_id,
        s.activity,
        s.occurred_at,
        cast(null as varchar) as unit,
        s.activity_rank
    from main.billing as b
    inner join encounters as e on b.encounter_id = e.encounter_id
    cross join lateral (
        values
        ('billed', b.billed_at, 12),
        ('paid', b.paid_at, 13)
    ) as s (activity, occurred_at, activity_rank)
),

events as (
    select * from arrivals
    union all
    select * from triages
    union all
    select * from medical_contacts
    union all
    select * from admissions
    union all
    select * from transfers
    union all
    select * from exam_events
    union all
    select * from surgery_events
    union all
    select * from discharges
    union all
    select * from billing_events
),

final as (
    select
        encounter_id as case_id,
        activity,
        occurred_at,
        unit
    from events
    where occurred_at is not null
    order by encounter_id, occurred_at, activity_rank
)

select * from final
