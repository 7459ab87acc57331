/* Pacientes: the view upflux_patients, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.patients). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    record_id,
    patient_key,
    cpf,
    cns,
    birth_year,
    birth_month,
    sex,
    city,
    uf,
    updated_at
  FROM upflux_patients
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
