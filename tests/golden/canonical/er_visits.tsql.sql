/* Chegadas ao pronto-socorro: the view upflux_er_visits, exposed by the hospital's IT in the */
/* canonical layout (connectors/canonical.yaml, datasets.er_visits). Mapped columns */
/* carry canonical values or the hospital's codes (mapped by the client file). */
WITH source AS (
  SELECT
    encounter_id AS encounter_id,
    arrived_at AS arrived_at,
    triage_started_at AS triage_started_at,
    triage_ended_at AS triage_ended_at,
    triage_protocol AS triage_protocol,
    triage_colour AS triage_colour,
    first_medical_contact_at AS first_medical_contact_at,
    left_at AS left_at,
    updated_at AS updated_at
  FROM upflux_er_visits
), final AS (
  SELECT
    *
  FROM source
)
SELECT
  *
FROM final
