/* One row per ER attendance (ie_tipo_atendimento 3 is Hospitalis's "pronto socorro"). */
/* Arrival, first doctor and exit live on the attendance; the triage is the first */
/* classification (patients waiting long are sometimes reclassified). */
/* An incremental load reads only the attendances whose row or any triage changed since its */
/* watermark (the changed_since parameter, null on a full load: every attendance), by the */
/* indexes on dt_atualizacao; the load keeps the rows whose updated_at is at or after it. */
WITH alterados AS (
  SELECT
    cd_atendimento
  FROM atendimento
  WHERE
    dt_atualizacao >= CAST('2026-10-01 08:00:00' AS DATETIME2)
  UNION
  SELECT
    cd_atendimento
  FROM triagem_ps
  WHERE
    dt_atualizacao >= CAST('2026-10-01 08:00:00' AS DATETIME2)
), atendimentos_ps AS (
  SELECT
    cd_atendimento AS cd_atendimento,
    dt_entrada AS dt_entrada,
    dt_atend_medico AS dt_atend_medico,
    dt_alta AS dt_alta,
    dt_atualizacao AS dt_atualizacao
  FROM atendimento
  WHERE
    ie_tipo_atendimento = 3
    AND (
      cd_atendimento IN (
        SELECT
          cd_atendimento
        FROM alterados
      ) /* noqa: RF02 */
    )
), triagens AS (
  SELECT
    cd_atendimento AS cd_atendimento,
    ie_protocolo AS ie_protocolo,
    cd_classificacao AS cd_classificacao,
    dt_inicio_triagem AS dt_inicio_triagem,
    dt_fim_triagem AS dt_fim_triagem,
    dt_atualizacao AS dt_atualizacao,
    ROW_NUMBER() OVER (
      PARTITION BY cd_atendimento
      ORDER BY CASE WHEN dt_inicio_triagem IS NULL THEN 1 ELSE 0 END, dt_inicio_triagem, CASE WHEN nr_seq_triagem IS NULL THEN 1 ELSE 0 END, nr_seq_triagem
    ) AS nr_ordem
  FROM triagem_ps
  WHERE
    cd_atendimento IN (
      SELECT
        cd_atendimento
      FROM alterados
    ) /* noqa: RF02 */
), primeira_triagem /* One row per attendance by its group by (each group holds the one first triage, so max is that */ /* row's value): the database then knows the join below cannot repeat an attendance and leaves */ /* it out when no triage column is read (the delete scan's counts of keys). */ AS (
  SELECT
    cd_atendimento AS cd_atendimento,
    MAX(ie_protocolo) AS ie_protocolo,
    MAX(cd_classificacao) AS cd_classificacao,
    MAX(dt_inicio_triagem) AS dt_inicio_triagem,
    MAX(dt_fim_triagem) AS dt_fim_triagem,
    MAX(dt_atualizacao) AS dt_atualizacao
  FROM triagens
  WHERE
    nr_ordem = 1
  GROUP BY
    cd_atendimento
), final AS (
  SELECT
    CAST(a.cd_atendimento AS VARCHAR(20)) AS encounter_id,
    a.dt_entrada AS arrived_at,
    t.dt_inicio_triagem AS triage_started_at,
    t.dt_fim_triagem AS triage_ended_at,
    CASE WHEN t.ie_protocolo = 'MTS' THEN 'manchester' ELSE LOWER(t.ie_protocolo) END AS triage_protocol,
    CAST(t.cd_classificacao AS VARCHAR(2)) AS triage_colour,
    a.dt_atend_medico AS first_medical_contact_at,
    a.dt_alta AS left_at,
    CASE
      WHEN t.dt_atualizacao > a.dt_atualizacao
      THEN t.dt_atualizacao
      ELSE a.dt_atualizacao
    END AS updated_at
  FROM atendimentos_ps AS a
  LEFT JOIN primeira_triagem AS t
    ON a.cd_atendimento = t.cd_atendimento
)
SELECT
  *
FROM (
  SELECT
    *
  FROM final
) AS src
WHERE
  src.updated_at >= CAST('2026-10-01 08:00:00' AS DATETIME2)
