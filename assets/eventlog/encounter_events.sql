-- The event log of a published warehouse: case = encounter, one row per event (docs/CONTRACTS.md).
-- Activities come from the canonical datasets; cancelled encounters and surgeries are no process.
-- unit: the unit where the event happened (the canonical model has no staff ids).
-- Unordered: readers sort by case_id, occurred_at, activity_rank (`mining/warehouse_log.py`),
-- on a copy of the rows (a sort in the warehouse's scan ran out of DuckDB's memory limit).
-- Several events of one row: `unnest` of a list in the select (streamed); a lateral `values`
-- join is planned as a delim join that holds the whole table in memory (no spilling).
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

exam_steps as (
    select
        x.encounter_id,
        unnest([
            { 'activity': 'exam ordered', 'occurred_at': x.ordered_at, 'activity_rank': 6 },
            { 'activity': 'exam collected', 'occurred_at': x.collected_at, 'activity_rank': 7 },
            { 'activity': 'exam resulted', 'occurred_at': x.resulted_at, 'activity_rank': 8 }
        ]) as s
    from main.exams as x
    inner join encounters as e on x.encounter_id = e.encounter_id
),

exam_events as (
    select
        exam_steps.encounter_id,
        s.activity,
        s.occurred_at,
        cast(null as varchar) as unit,
        s.activity_rank
    from exam_steps
),

surgery_steps as (
    select
        g.encounter_id,
        unnest([
            { 'activity': 'surgery start', 'occurred_at': g.started_at, 'activity_rank': 9 },
            { 'activity': 'surgery end', 'occurred_at': g.ended_at, 'activity_rank': 10 }
        ]) as s
    from main.surgeries as g
    inner join encounters as e on g.encounter_id = e.encounter_id
    where g.status = 'realizada'
),

surgery_events as (
    select
        surgery_steps.encounter_id,
        s.activity,
        s.occurred_at,
        cast(null as varchar) as unit,
        s.activity_rank
    from surgery_steps
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

billing_steps as (
    select
        b.encounter_id,
        unnest([
            { 'activity': 'billed', 'occurred_at': b.billed_at, 'activity_rank': 12 },
            { 'activity': 'paid', 'occurred_at': b.paid_at, 'activity_rank': 13 }
        ]) as s
    from main.billing as b
    inner join encounters as e on b.encounter_id = e.encounter_id
),

billing_events as (
    select
        billing_steps.encounter_id,
        s.activity,
        s.occurred_at,
        cast(null as varchar) as unit,
        s.activity_rank
    from billing_steps
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
        unit,
        activity_rank
    from events
    where occurred_at is not null
)

select * from final
