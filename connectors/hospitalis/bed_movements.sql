-- One row per bed occupation (movimentacao_leito); the sector is recorded on the movement.
with movimentacoes as (
    select
        nr_seq_movimentacao,
        cd_atendimento,
        cd_leito,
        cd_setor,
        dt_entrada_leito,
        dt_saida_leito,
        dt_atualizacao
    from movimentacao_leito
),

final as (
    select
        cast(nr_seq_movimentacao as varchar(20)) as movement_id,
        cast(cd_atendimento as varchar(20)) as encounter_id,
        cast(cd_leito as varchar(20)) as bed_id,
        cast(cd_setor as varchar(10)) as unit_code,
        dt_entrada_leito as started_at,
        dt_saida_leito as ended_at,
        dt_atualizacao as updated_at
    from movimentacoes
)

select * from final
