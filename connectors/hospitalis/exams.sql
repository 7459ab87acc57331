-- One row per exam order (pedido_exame). The TUSS code and the kind come from the exam
-- register; labs record the collection, imaging the acquisition ("realizacao").
with pedidos as (
    select
        nr_pedido,
        cd_atendimento,
        cd_exame,
        ie_urgencia,
        dt_pedido,
        dt_coleta,
        dt_realizacao,
        dt_resultado,
        dt_liberacao,
        dt_atualizacao
    from pedido_exame
),

exames as (
    select
        cd_exame,
        cd_procedimento_tuss,
        ie_classificacao
    from exame
),

final as (
    select
        cast(p.nr_pedido as varchar(20)) as order_id,
        cast(p.cd_atendimento as varchar(20)) as encounter_id,
        e.cd_procedimento_tuss as exam_code,
        e.ie_classificacao as exam_kind,
        p.ie_urgencia as priority,
        p.dt_pedido as ordered_at,
        coalesce(p.dt_coleta, p.dt_realizacao) as collected_at,
        p.dt_resultado as resulted_at,
        p.dt_liberacao as released_at,
        p.dt_atualizacao as updated_at
    from pedidos as p
    left join exames as e
        on p.cd_exame = e.cd_exame
)

select * from final
