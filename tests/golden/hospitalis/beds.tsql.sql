/* One row per bed and status period (leito_situacao), with the bed's sector and type. */
WITH situacoes AS (
  SELECT
    cd_leito AS cd_leito,
    ie_status AS ie_status,
    dt_inicio AS dt_inicio,
    dt_fim AS dt_fim,
    dt_atualizacao AS dt_atualizacao
  FROM leito_situacao
), leitos AS (
  SELECT
    cd_leito AS cd_leito,
    cd_setor AS cd_setor,
    ie_tipo_leito AS ie_tipo_leito,
    dt_atualizacao AS dt_atualizacao
  FROM leito
), final AS (
  SELECT
    CAST(s.cd_leito AS VARCHAR(20)) AS bed_id,
    CAST(l.cd_setor AS VARCHAR(10)) AS unit_code,
    CAST(l.ie_tipo_leito AS VARCHAR(2)) AS bed_type,
    s.ie_status AS status,
    s.dt_inicio AS valid_from,
    s.dt_fim AS valid_to,
    CASE
      WHEN l.dt_atualizacao > s.dt_atualizacao
      THEN l.dt_atualizacao
      ELSE s.dt_atualizacao
    END AS updated_at
  FROM situacoes AS s
  LEFT JOIN leitos AS l
    ON s.cd_leito = l.cd_leito
)
SELECT
  *
FROM final
