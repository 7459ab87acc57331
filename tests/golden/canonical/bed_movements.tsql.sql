/* Movimentações de leito: the view upflux_bed_movements, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.bed_movements). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    movement_id AS movement_id,
    encounter_id AS encounter_id,
    bed_id AS bed_id,
    unit_code AS unit_code,
    started_at AS started_at,
    ended_at AS ended_at,
    updated_at AS updated_at
  FROM upflux_bed_movements
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
