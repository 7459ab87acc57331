/* Pacientes: the view upflux_patients, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.patients). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    record_id AS record_id,
    patient_key AS patient_key,
    cpf AS cpf,
    cns AS cns,
    birth_year AS birth_year,
    birth_month AS birth_month,
    sex AS sex,
    city AS city,
    uf AS uf,
    updated_at AS updated_at
  FROM upflux_patients
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
