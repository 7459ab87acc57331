SELECT
  *
FROM (
  /* One row per attendance (atendimento): inpatient, ER, clinic and collection-post visits. */
  /* The patient key is the prontuario, not Hospitalis's internal cd_paciente. */
  WITH atendimentos AS (
    SELECT
      cd_atendimento,
      cd_paciente,
      ie_tipo_atendimento,
      ie_situacao,
      ie_carater_inter,
      dt_entrada,
      dt_alta,
      cd_motivo_alta,
      cd_setor_atendimento,
      cd_cid_principal,
      cd_convenio,
      dt_atualizacao
    FROM atendimento
  ), pacientes AS (
    SELECT
      cd_paciente,
      nr_prontuario
    FROM paciente
  ), final AS (
    SELECT
      CAST(a.cd_atendimento AS VARCHAR2(20)) AS encounter_id,
      CAST(p.nr_prontuario AS VARCHAR2(20)) AS patient_key,
      CAST(a.ie_tipo_atendimento AS VARCHAR2(2)) AS encounter_type,
      a.ie_situacao AS status,
      a.ie_carater_inter AS admission_character,
      a.dt_entrada AS admitted_at,
      a.dt_alta AS discharged_at,
      CAST(a.cd_motivo_alta AS VARCHAR2(3)) AS discharge_type,
      CAST(a.cd_setor_atendimento AS VARCHAR2(10)) AS unit_code,
      a.cd_cid_principal AS cid10,
      CAST(a.cd_convenio AS VARCHAR2(10)) AS payer_type,
      a.dt_atualizacao AS updated_at
    FROM atendimentos a
    LEFT JOIN pacientes p
      ON a.cd_paciente = p.cd_paciente
  )
  SELECT
    *
  FROM final
) src
WHERE
  src.updated_at >= TO_TIMESTAMP('2026-10-01 08:00:00', 'YYYY-MM-DD HH24:MI:SS')
