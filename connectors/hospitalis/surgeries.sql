-- One row per surgery booking (cirurgia), realised, suspended or cancelled, with the
-- cancellation reason's text.
with cirurgias as (
    select
        nr_cirurgia,
        cd_atendimento,
        cd_sala,
        dt_agenda,
        dt_entrada_sala,
        dt_inicio_cirurgia,
        dt_fim_cirurgia,
        dt_saida_sala,
        ie_status,
        cd_motivo_cancelamento,
        dt_atualizacao
    from cirurgia
),

motivos as (
    select
        cd_motivo,
        ds_motivo
    from motivo_cancelamento_cirurgia
),

final as (
    select
        cast(c.nr_cirurgia as varchar(20)) as surgery_id,
        cast(c.cd_atendimento as varchar(20)) as encounter_id,
        cast(c.cd_sala as varchar(10)) as room_id,
        c.dt_agenda as scheduled_start,
        c.dt_entrada_sala as in_room_at,
        c.dt_inicio_cirurgia as started_at,
        c.dt_fim_cirurgia as ended_at,
        c.dt_saida_sala as out_of_room_at,
        cast(c.ie_status as varchar(2)) as status,
        m.ds_motivo as cancel_reason,
        c.dt_atualizacao as updated_at
    from cirurgias as c
    left join motivos as m
        on c.cd_motivo_cancelamento = m.cd_motivo
)

select * from final
