-- Contas (faturamento): the view upflux_billing, exposed by the hospital's IT in the
-- canonical layout (connectors/canonical.yaml, datasets.billing). Mapped columns
-- carry canonical values or the hospital's codes (mapped by the client file).
with source as (
    select
        account_id,
        encounter_id,
        payer_type,
        billed_at,
        amount_billed,
        amount_denied,
        denial_reason,
        appeal_outcome,
        paid_at,
        updated_at
    from upflux_billing
),

final as (
    select * from source
)

select * from final
