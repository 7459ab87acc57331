-- The midnight census of the hospital census standard (Portaria SAS/MS 312/2002), shared by
-- every census-based indicator. Days are cut in the hospital's zone (the session TimeZone);
-- census days run from the first inpatient admission to the last admission of any kind.
create or replace temp macro census_days() as table
    with inpatient as (
        select
            admitted_at,
            discharged_at
        from main.encounters
        where encounter_type = 'inpatient' and status = 'active' and admitted_at is not null
    ),

    days as (
        select
            cast(r.d as date) as day,
            cast(cast(r.d as date) + 1 as timestamptz) as census_at
        from range(
            (select min(cast(admitted_at as date)) from inpatient),
            (select max(cast(admitted_at as date)) from main.encounters) + 1,
            interval 1 day
        ) as r (d)
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
