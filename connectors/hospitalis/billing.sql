-- One row per patient account (conta_paciente). billed_at is when the account was sent to
-- the payer; the glosa (denied amount) carries its TISS reason code.
with contas as (
    select
        nr_interno_conta,
        cd_atendimento,
        cd_convenio,
        dt_envio,
        vl_conta,
        vl_glosa,
        cd_motivo_glosa,
        ie_status_recurso,
        dt_pagamento,
        dt_atualizacao
    from conta_paciente
),

final as (
    select
        cast(nr_interno_conta as varchar(20)) as account_id,
        cast(cd_atendimento as varchar(20)) as encounter_id,
        cast(cd_convenio as varchar(10)) as payer_type,
        dt_envio as billed_at,
        vl_conta as amount_billed,
        vl_glosa as amount_denied,
        cd_motivo_glosa as denial_reason,
        case ie_status_recurso
            when 'D' then 'deferido'
            when 'P' then 'deferido_parcial'
            when 'I' then 'indeferido'
            when 'A' then 'em_analise'
        end as appeal_outcome,
        dt_pagamento as paid_at,
        dt_atualizacao as updated_at
    from contas
)

select * from final
