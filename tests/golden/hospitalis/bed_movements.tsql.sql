/* One row per bed occupation (movimentacao_leito); the sector is recorded on the movement. */
WITH movimentacoes AS (
  SELECT
    nr_seq_movimentacao AS nr_seq_movimentacao,
    cd_atendimento AS cd_atendimento,
    cd_leito AS cd_leito,
    cd_setor AS cd_setor,
    dt_entrada_leito AS dt_entrada_leito,
    dt_saida_leito AS dt_saida_leito,
    dt_atualizacao AS dt_atualizacao
  FROM movimentacao_leito
), final AS (
  SELECT
    CAST(nr_seq_movimentacao AS VARCHAR(20)) AS movement_id,
    CAST(cd_atendimento AS VARCHAR(20)) AS encounter_id,
    CAST(cd_leito AS VARCHAR(20)) AS bed_id,
    CAST(cd_setor AS VARCHAR(10)) AS unit_code,
    dt_entrada_leito AS started_at,
    dt_saida_leito AS ended_at,
    dt_atualizacao AS updated_at
  FROM movimentacoes
)
SELECT
  *
FROM final
