/* Atendimentos: the view upflux_encounters, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.encounters). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    encounter_id AS encounter_id,
    patient_key AS patient_key,
    encounter_type AS encounter_type,
    status AS status,
    admission_character AS admission_character,
    admitted_at AS admitted_at,
    discharged_at AS discharged_at,
    discharge_type AS discharge_type,
    unit_code AS unit_code,
    cid10 AS cid10,
    payer_type AS payer_type,
    updated_at AS updated_at
  FROM upflux_encounters
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
