/* Salas cirúrgicas: the view upflux_surgery_rooms, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.surgery_rooms). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    room_id AS room_id,
    valid_from AS valid_from,
    valid_to AS valid_to,
    opens_at AS opens_at,
    closes_at AS closes_at,
    updated_at AS updated_at
  FROM upflux_surgery_rooms
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
