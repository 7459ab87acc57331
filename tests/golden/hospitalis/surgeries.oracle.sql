/* One row per surgery booking (cirurgia), realised, suspended or cancelled, with the */
/* cancellation reason's text. */
WITH cirurgias AS (
  SELECT
    nr_cirurgia,
    cd_atendimento,
    cd_sala,
    dt_agenda,
    dt_entrada_sala,
    dt_inicio_cirurgia,
    dt_fim_cirurgia,
    dt_saida_sala,
    ie_status,
    cd_motivo_cancelamento,
    dt_atualizacao
  FROM cirurgia
), motivos AS (
  SELECT
    cd_motivo,
    ds_motivo
  FROM motivo_cancelamento_cirurgia
), final AS (
  SELECT
    CAST(c.nr_cirurgia AS VARCHAR2(20)) AS surgery_id,
    CAST(c.cd_atendimento AS VARCHAR2(20)) AS encounter_id,
    CAST(c.cd_sala AS VARCHAR2(10)) AS room_id,
    c.dt_agenda AS scheduled_start,
    c.dt_entrada_sala AS in_room_at,
    c.dt_inicio_cirurgia AS started_at,
    c.dt_fim_cirurgia AS ended_at,
    c.dt_saida_sala AS out_of_room_at,
    CAST(c.ie_status AS VARCHAR2(2)) AS status,
    m.ds_motivo AS cancel_reason,
    c.dt_atualizacao AS updated_at
  FROM cirurgias c
  LEFT JOIN motivos m
    ON c.cd_motivo_cancelamento = m.cd_motivo
)
SELECT
  *
FROM final
