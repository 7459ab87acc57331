-- One row per bed and status period (leito_situacao), with the bed's sector and type.
with situacoes as (
    select
        cd_leito,
        ie_status,
        dt_inicio,
        dt_fim,
        dt_atualizacao
    from leito_situacao
),

leitos as (
    select
        cd_leito,
        cd_setor,
        ie_tipo_leito,
        dt_atualizacao
    from leito
),

final as (
    select
        cast(s.cd_leito as varchar(20)) as bed_id,
        cast(l.cd_setor as varchar(10)) as unit_code,
        cast(l.ie_tipo_leito as varchar(2)) as bed_type,
        s.ie_status as status,
        s.dt_inicio as valid_from,
        s.dt_fim as valid_to,
        case
            when l.dt_atualizacao > s.dt_atualizacao then l.dt_atualizacao
            else s.dt_atualizacao
        end as updated_at
    from situacoes as s
    left join leitos as l
        on s.cd_leito = l.cd_leito
)

select * from final
