-- Leitos: the view upflux_beds, exposed by the hospital's IT in the
-- canonical layout (connectors/canonical.yaml, datasets.beds). Mapped columns
-- carry canonical values or the hospital's codes (mapped by the client file).
with source as (
    select
        bed_id,
        unit_code,
        bed_type,
        status,
        valid_from,
        valid_to,
        updated_at
    from upflux_beds
),

final as (
    select * from source
)

select * from final
