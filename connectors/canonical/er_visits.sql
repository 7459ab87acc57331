-- Chegadas ao pronto-socorro: the view upflux_er_visits, exposed by the hospital's IT in the
-- canonical layout (connectors/canonical.yaml, datasets.er_visits). Mapped columns
-- carry canonical values or the hospital's codes (mapped by the client file).
with source as (
    select
        encounter_id,
        arrived_at,
        triage_started_at,
        triage_ended_at,
        triage_protocol,
        triage_colour,
        first_medical_contact_at,
        left_at,
        updated_at
    from upflux_er_visits
),

final as (
    select * from source
)

select * from final
