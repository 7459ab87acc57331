/* Contas (faturamento): the view upflux_billing, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.billing). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    account_id AS account_id,
    encounter_id AS encounter_id,
    payer_type AS payer_type,
    billed_at AS billed_at,
    amount_billed AS amount_billed,
    amount_denied AS amount_denied,
    denial_reason AS denial_reason,
    appeal_outcome AS appeal_outcome,
    paid_at AS paid_at,
    updated_at AS updated_at
  FROM upflux_billing
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
