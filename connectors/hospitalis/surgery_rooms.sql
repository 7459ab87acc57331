-- One row per operating room and opening-hours period (sala_cirurgica_horario).
-- dt_fim_vigencia is the first day the next period applies (exclusive).
with horarios as (
    select
        cd_sala,
        dt_inicio_vigencia,
        dt_fim_vigencia,
        hr_abertura,
        hr_fechamento,
        dt_atualizacao
    from sala_cirurgica_horario
),

final as (
    select
        cast(cd_sala as varchar(10)) as room_id,
        dt_inicio_vigencia as valid_from,
        dt_fim_vigencia as valid_to,
        hr_abertura as opens_at,
        hr_fechamento as closes_at,
        dt_atualizacao as updated_at
    from horarios
)

select * from final
