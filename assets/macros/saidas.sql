-- Saidas (Portaria SAS/MS 312/2002): active inpatient encounters that left the hospital by
-- discharge (alta), death (obito) or transfer to another hospital (transferencia externa),
-- with the month of their exit cut in the hospital's zone (the session TimeZone). Shared by
-- length of stay, bed turnover, mortality and readmission. Only exits in the months computed.
create or replace temp macro saidas() as table
    with exits as (
        select
            encounter_id,
            patient_key,
            admitted_at,
            discharged_at,
            discharge_type,
            cast(date_trunc('month', discharged_at) as date) as period
        from main.encounters
        where
            encounter_type = 'inpatient'
            and status = 'active'
            and admitted_at is not null
            and discharged_at is not null
            and discharge_type in ('alta', 'obito', 'transferencia_externa')
            and in_periods(discharged_at)
    ),

    final as (
        select * from exits
    )

    select * from final;

-- The months that have census days (see census.sql), with their patient-days, operational
-- bed-days and number of census days: every census indicator reports each of these months.
create or replace temp macro census_months() as table
    with census as (
        select * from census_days()
    ),

    final as (
        select
            cast(date_trunc('month', day) as date) as period,
            sum(patient_days) as patient_days,
            count(*) as n_days
        from census
        group by 1
    )

    select * from final;
