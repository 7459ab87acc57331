-- Atendimentos: the view upflux_encounters, exposed by the hospital's IT in the
-- canonical layout (connectors/canonical.yaml, datasets.encounters). Mapped columns
-- carry canonical values or the hospital's codes (mapped by the client file).
with source as (
    select
        encounter_id,
        patient_key,
        encounter_type,
        status,
        admission_character,
        admitted_at,
        discharged_at,
        discharge_type,
        unit_code,
        cid10,
        payer_type,
        updated_at
    from upflux_encounters
),

final as (
    select * from source
)

select * from final
