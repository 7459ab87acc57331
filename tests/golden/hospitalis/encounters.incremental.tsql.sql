/* One row per attendance (atendimento): inpatient, ER, clinic and collection-post visits. */
/* The patient key is the prontuario, not Hospitalis's internal cd_paciente. */
WITH atendimentos AS (
  SELECT
    cd_atendimento AS cd_atendimento,
    cd_paciente AS cd_paciente,
    ie_tipo_atendimento AS ie_tipo_atendimento,
    ie_situacao AS ie_situacao,
    ie_carater_inter AS ie_carater_inter,
    dt_entrada AS dt_entrada,
    dt_alta AS dt_alta,
    cd_motivo_alta AS cd_motivo_alta,
    cd_setor_atendimento AS cd_setor_atendimento,
    cd_cid_principal AS cd_cid_principal,
    cd_convenio AS cd_convenio,
    dt_atualizacao AS dt_atualizacao
  FROM atendimento
), pacientes AS (
  SELECT
    cd_paciente AS cd_paciente,
    nr_prontuario AS nr_prontuario
  FROM paciente
), final AS (
  SELECT
    CAST(a.cd_atendimento AS VARCHAR(20)) AS encounter_id,
    CAST(p.nr_prontuario AS VARCHAR(20)) AS patient_key,
    CAST(a.ie_tipo_atendimento AS VARCHAR(2)) AS encounter_type,
    a.ie_situacao AS status,
    a.ie_carater_inter AS admission_character,
    a.dt_entrada AS admitted_at,
    a.dt_alta AS discharged_at,
    CAST(a.cd_motivo_alta AS VARCHAR(3)) AS discharge_type,
    CAST(a.cd_setor_atendimento AS VARCHAR(10)) AS unit_code,
    a.cd_cid_principal AS cid10,
    CAST(a.cd_convenio AS VARCHAR(10)) AS payer_type,
    a.dt_atualizacao AS updated_at
  FROM atendimentos AS a
  LEFT JOIN pacientes AS p
    ON a.cd_paciente = p.cd_paciente
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
