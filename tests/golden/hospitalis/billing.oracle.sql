/* One row per patient account (conta_paciente). billed_at is when the account was sent to */
/* the payer; the glosa (denied amount) carries its TISS reason code. */
WITH contas AS (
  SELECT
    nr_interno_conta,
    cd_atendimento,
    cd_convenio,
    dt_envio,
    vl_conta,
    vl_glosa,
    cd_motivo_glosa,
    ie_status_recurso,
    dt_pagamento,
    dt_atualizacao
  FROM conta_paciente
), final AS (
  SELECT
    CAST(nr_interno_conta AS VARCHAR2(20)) AS account_id,
    CAST(cd_atendimento AS VARCHAR2(20)) AS encounter_id,
    CAST(cd_convenio AS VARCHAR2(10)) AS payer_type,
    dt_envio AS billed_at,
    vl_conta AS amount_billed,
    vl_glosa AS amount_denied,
    cd_motivo_glosa AS denial_reason,
    CASE ie_status_recurso
      WHEN 'D'
      THEN 'deferido'
      WHEN 'P'
      THEN 'deferido_parcial'
      WHEN 'I'
      THEN 'indeferido'
      WHEN 'A'
      THEN 'em_analise'
    END AS appeal_outcome,
    dt_pagamento AS paid_at,
    dt_atualizacao AS updated_at
  FROM contas
)
SELECT
  *
FROM final
