/* One row per surgery booking (cirurgia), realised, suspended or cancelled, with the */
/* cancellation reason's text. */
WITH cirurgias AS (
  SELECT
    nr_cirurgia AS nr_cirurgia,
    cd_atendimento AS cd_atendimento,
    cd_sala AS cd_sala,
    dt_agenda AS dt_agenda,
    dt_entrada_sala AS dt_entrada_sala,
    dt_inicio_cirurgia AS dt_inicio_cirurgia,
    dt_fim_cirurgia AS dt_fim_cirurgia,
    dt_saida_sala AS dt_saida_sala,
    ie_status AS ie_status,
    cd_motivo_cancelamento AS cd_motivo_cancelamento,
    dt_atualizacao AS dt_atualizacao
  FROM cirurgia
), motivos AS (
  SELECT
    cd_motivo AS cd_motivo,
    ds_motivo AS ds_motivo
  FROM motivo_cancelamento_cirurgia
), final AS (
  SELECT
    CAST(c.nr_cirurgia AS VARCHAR(20)) AS surgery_id,
    CAST(c.cd_atendimento AS VARCHAR(20)) AS encounter_id,
    CAST(c.cd_sala AS VARCHAR(10)) AS room_id,
    c.dt_agenda AS scheduled_start,
    c.dt_entrada_sala AS in_room_at,
    c.dt_inicio_cirurgia AS started_at,
    c.dt_fim_cirurgia AS ended_at,
    c.dt_saida_sala AS out_of_room_at,
    CAST(c.ie_status AS VARCHAR(2)) AS status,
    m.ds_motivo AS cancel_reason,
    c.dt_atualizacao AS updated_at
  FROM cirurgias AS c
  LEFT JOIN motivos AS m
    ON c.cd_motivo_cancelamento = m.cd_motivo
)
SELECT
  *
FROM final
