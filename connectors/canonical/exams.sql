-- Exames: the view upflux_exams, exposed by the hospital's IT in the
-- canonical layout (connectors/canonical.yaml, datasets.exams). Mapped columns
-- carry canonical values or the hospital's codes (mapped by the client file).
with source as (
    select
        order_id,
        encounter_id,
        exam_code,
        exam_kind,
        priority,
        ordered_at,
        collected_at,
        resulted_at,
        released_at,
        updated_at
    from upflux_exams
),

final as (
    select * from source
)

select * from final
