-- Cirurgias: the view upflux_surgeries, exposed by the hospital's IT in the
-- canonical layout (connectors/canonical.yaml, datasets.surgeries). Mapped columns
-- carry canonical values or the hospital's codes (mapped by the client file).
with source as (
    select
        surgery_id,
        encounter_id,
        room_id,
        scheduled_start,
        in_room_at,
        started_at,
        ended_at,
        out_of_room_at,
        status,
        cancel_reason,
        updated_at
    from upflux_surgeries
),

final as (
    select * from source
)

select * from final
