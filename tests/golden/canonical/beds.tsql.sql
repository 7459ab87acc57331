/* Leitos: the view upflux_beds, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.beds). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    bed_id AS bed_id,
    unit_code AS unit_code,
    bed_type AS bed_type,
    status AS status,
    valid_from AS valid_from,
    valid_to AS valid_to,
    updated_at AS updated_at
  FROM upflux_beds
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
