-- The midnight census of the hospital census standard (Portaria SAS/MS 312/2002), shared by
-- every census-based indicator. Days are cut in the hospital's zone (the session TimeZone);
-- census days run from the first inpatient admission to the last admission of any kind. Only
-- the days of the months computed (period_from, period_to: _periods.sql) and the stays
-- reaching them are read.
create or replace temp macro census_days() as table
    with all_inpatient as (
        select
            admitted_at,
            discharged_at
        from main.encounters
        where encounter_type = 'inpatient' and status = 'active' and admitted_at is not null
    ),

    inpatient as (
        select
            admitted_at,
            discharged_at
        from all_inpatient
        where
            admitted_at < period_to()
            and (discharged_at is null or discharged_at >= period_from())
    ),

    all_bounds as (
        select
            (select min(cast(admitted_at as date)) from all_inpatient) as first_day,
            (select max(cast(admitted_at as date)) from main.encounters) + 1 as end_day
    ),

    -- if(), not greatest()/least(): those skip an empty bound (no inpatient at all)
    bounds as (
        select
            if(first_day < period_from(), period_from(), first_day) as first_day,
            if(end_day > period_to(), period_to(), end_day) as end_day
        from all_bounds
    ),

    days as (
        select
            cast(r.d as date) as day,
            cast(cast(r.d as date) + 1 as timestamptz) as census_at
        from bounds as b
        cross join range(b.first_day, b.end_day, interval 1 day) as r (d)
    ),

    present as (
        select
            c.day,
            c.census_at,
            count(i.admitted_at) as patients
        from days as c
        left join inpatient as i
            on c.census_at > i.admitted_at
            and (i.discharged_at is null or c.census_at <= i.discharged_at)
        group by all
    ),

    same_day as (
        select
            cast(admitted_at as date) as day,
            count(*) as patients
        from inpatient
        where discharged_at is not null and cast(discharged_at as date) = cast(admitted_at as date)
        group by 1
    ),

    final as (
        select
            p.day,
            p.census_at,
            p.patients + coalesce(s.patients, 0) as patient_days
        from present as p
        left join same_day as s on p.day = s.day
    )

    select * from final;

-- Operational bed-days per census day and unit (the bed's unit): beds whose status period
-- covers the census instant and is operational, plus extra beds occupied at that instant
-- (blocked beds do not count).
create or replace temp macro operational_bed_days_by_unit() as table
    with census as (
        select * from census_days()
    ),

    bed_status as (
        select
            c.day,
            b.bed_id,
            b.unit_code,
            b.status
        from census as c
        inner join main.beds as b
            on c.census_at >= b.valid_from
            and (b.valid_to is null or c.census_at < b.valid_to)
    ),

    occupied_beds as (
        select distinct
            c.day,
            m.bed_id
        from census as c
        inner join main.bed_movements as m
            on c.census_at > m.started_at
            and (m.ended_at is null or c.census_at <= m.ended_at)
    ),

    final as (
        select
            s.day,
            s.unit_code,
            count(*) as beds
        from bed_status as s
        left join occupied_beds as o on s.day = o.day and s.bed_id = o.bed_id
        where s.status = 'operational' or (s.status = 'extra' and o.bed_id is not null)
        group by all
    )

    select * from final;

-- The same, all units together.
create or replace temp macro operational_bed_days() as table
    with by_unit as (
        select * from operational_bed_days_by_unit()
    ),

    final as (
        select
            day,
            sum(beds) as beds
        from by_unit
        group by all
    )

    select * from final;
