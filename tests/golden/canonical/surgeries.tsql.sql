/* Cirurgias: the view upflux_surgeries, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.surgeries). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    surgery_id AS surgery_id,
    encounter_id AS encounter_id,
    room_id AS room_id,
    scheduled_start AS scheduled_start,
    in_room_at AS in_room_at,
    started_at AS started_at,
    ended_at AS ended_at,
    out_of_room_at AS out_of_room_at,
    status AS status,
    cancel_reason AS cancel_reason,
    updated_at AS updated_at
  FROM upflux_surgeries
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
