/* One row per patient. The prontuario is the patient key; the city comes from the IBGE register. */
WITH pacientes AS (
  SELECT
    cd_paciente,
    nr_prontuario,
    nr_cpf,
    nr_cartao_sus,
    dt_nascimento,
    ie_sexo,
    cd_municipio_ibge,
    dt_atualizacao
  FROM paciente
), municipios AS (
  SELECT
    cd_municipio_ibge,
    ds_municipio,
    sg_uf
  FROM municipio
), final AS (
  SELECT
    CAST(p.cd_paciente AS VARCHAR2(20)) AS record_id,
    CAST(p.nr_prontuario AS VARCHAR2(20)) AS patient_key,
    p.nr_cpf AS cpf,
    p.nr_cartao_sus AS cns,
    CAST(TO_CHAR(p.dt_nascimento, 'YYYY') AS INT) AS birth_year,
    CAST(TO_CHAR(p.dt_nascimento, 'MM') AS INT) AS birth_month,
    p.ie_sexo AS sex,
    m.ds_municipio AS city,
    m.sg_uf AS uf,
    p.dt_atualizacao AS updated_at
  FROM pacientes p
  LEFT JOIN municipios m
    ON p.cd_municipio_ibge = m.cd_municipio_ibge
)
SELECT
  *
FROM final
