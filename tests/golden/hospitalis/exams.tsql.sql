/* One row per exam order (pedido_exame). The TUSS code and the kind come from the exam */
/* register; labs record the collection, imaging the acquisition ("realizacao"). */
WITH pedidos AS (
  SELECT
    nr_pedido AS nr_pedido,
    cd_atendimento AS cd_atendimento,
    cd_exame AS cd_exame,
    ie_urgencia AS ie_urgencia,
    dt_pedido AS dt_pedido,
    dt_coleta AS dt_coleta,
    dt_realizacao AS dt_realizacao,
    dt_resultado AS dt_resultado,
    dt_liberacao AS dt_liberacao,
    dt_atualizacao AS dt_atualizacao
  FROM pedido_exame
), exames AS (
  SELECT
    cd_exame AS cd_exame,
    cd_procedimento_tuss AS cd_procedimento_tuss,
    ie_classificacao AS ie_classificacao
  FROM exame
), final AS (
  SELECT
    CAST(p.nr_pedido AS VARCHAR(20)) AS order_id,
    CAST(p.cd_atendimento AS VARCHAR(20)) AS encounter_id,
    e.cd_procedimento_tuss AS exam_code,
    e.ie_classificacao AS exam_kind,
    p.ie_urgencia AS priority,
    p.dt_pedido AS ordered_at,
    COALESCE(p.dt_coleta, p.dt_realizacao) AS collected_at,
    p.dt_resultado AS resulted_at,
    p.dt_liberacao AS released_at,
    p.dt_atualizacao AS updated_at
  FROM pedidos AS p
  LEFT JOIN exames AS e
    ON p.cd_exame = e.cd_exame
)
SELECT
  *
FROM final
