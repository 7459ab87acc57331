/* One row per patient. The prontuario is the patient key; the city comes from the IBGE register. */
WITH pacientes AS (
  SELECT
    cd_paciente AS cd_paciente,
    nr_prontuario AS nr_prontuario,
    nr_cpf AS nr_cpf,
    nr_cartao_sus AS nr_cartao_sus,
    dt_nascimento AS dt_nascimento,
    ie_sexo AS ie_sexo,
    cd_municipio_ibge AS cd_municipio_ibge,
    dt_atualizacao AS dt_atualizacao
  FROM paciente
), municipios AS (
  SELECT
    cd_municipio_ibge AS cd_municipio_ibge,
    ds_municipio AS ds_municipio,
    sg_uf AS sg_uf
  FROM municipio
), final AS (
  SELECT
    CAST(p.cd_paciente AS VARCHAR(20)) AS record_id,
    CAST(p.nr_prontuario AS VARCHAR(20)) AS patient_key,
    p.nr_cpf AS cpf,
    p.nr_cartao_sus AS cns,
    CAST(FORMAT(p.dt_nascimento, 'yyyy') AS INTEGER) AS birth_year,
    CAST(FORMAT(p.dt_nascimento, 'MM') AS INTEGER) AS birth_month,
    p.ie_sexo AS sex,
    m.ds_municipio AS city,
    m.sg_uf AS uf,
    p.dt_atualizacao AS updated_at
  FROM pacientes AS p
  LEFT JOIN municipios AS m
    ON p.cd_municipio_ibge = m.cd_municipio_ibge
)
SELECT
  *
FROM final
