/* Atendimentos: the view upflux_encounters, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.encounters). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
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
  FROM upflux_encounters
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
