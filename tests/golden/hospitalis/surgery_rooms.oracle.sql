/* One row per operating room and opening-hours period (sala_cirurgica_horario). */
/* dt_fim_vigencia is the first day the next period applies (exclusive). */
WITH horarios AS (
  SELECT
    cd_sala,
    dt_inicio_vigencia,
    dt_fim_vigencia,
    hr_abertura,
    hr_fechamento,
    dt_atualizacao
  FROM sala_cirurgica_horario
), final AS (
  SELECT
    CAST(cd_sala AS VARCHAR2(10)) AS room_id,
    dt_inicio_vigencia AS valid_from,
    dt_fim_vigencia AS valid_to,
    hr_abertura AS opens_at,
    hr_fechamento AS closes_at,
    dt_atualizacao AS updated_at
  FROM horarios
)
SELECT
  *
FROM final
