-- One row per ER attendance (ie_tipo_atendimento 3 is Hospitalis's "pronto socorro").
-- Arrival, first doctor and exit live on the attendance; the triage is the first
-- classification (patients waiting long are sometimes reclassified).
-- An incremental load reads only the attendances whose row or any triage changed since its
-- watermark (the changed_since parameter, null on a full load: every attendance), by the
-- indexes on dt_atualizacao; the load keeps the rows whose updated_at is at or after it.
with alterados as (
    select cd_atendimento from atendimento
    where dt_atualizacao >= :changed_since
    union
    select cd_atendimento from triagem_ps
    where dt_atualizacao >= :changed_since
),

atendimentos_ps as (
    select
        cd_atendimento,
        dt_entrada,
        dt_atend_medico,
        dt_alta,
        dt_atualizacao
    from atendimento
    where
        ie_tipo_atendimento = 3
        and (
            :changed_since is null
            or cd_atendimento in (select cd_atendimento from alterados)  -- noqa: RF02
        )
),

triagens as (
    select
        cd_atendimento,
        ie_protocolo,
        cd_classificacao,
        dt_inicio_triagem,
        dt_fim_triagem,
        dt_atualizacao,
        row_number() over (
            partition by cd_atendimento
            order by dt_inicio_triagem, nr_seq_triagem
        ) as nr_ordem
    from triagem_ps
    where
        :changed_since is null
        or cd_atendimento in (select cd_atendimento from alterados)  -- noqa: RF02
),

-- One row per attendance by its group by (each group holds the one first triage, so max is that
-- row's value): the database then knows the join below cannot repeat an attendance and leaves
-- it out when no triage column is read (the delete scan's counts of keys).
primeira_triagem as (
    select
        cd_atendimento,
        max(ie_protocolo) as ie_protocolo,
        max(cd_classificacao) as cd_classificacao,
        max(dt_inicio_triagem) as dt_inicio_triagem,
        max(dt_fim_triagem) as dt_fim_triagem,
        max(dt_atualizacao) as dt_atualizacao
    from triagens
    where nr_ordem = 1
    group by cd_atendimento
),

final as (
    select
        cast(a.cd_atendimento as varchar(20)) as encounter_id,
        a.dt_entrada as arrived_at,
        t.dt_inicio_triagem as triage_started_at,
        t.dt_fim_triagem as triage_ended_at,
        case
            when t.ie_protocolo = 'MTS' then 'manchester'
            else lower(t.ie_protocolo)
        end as triage_protocol,
        cast(t.cd_classificacao as varchar(2)) as triage_colour,
        a.dt_atend_medico as first_medical_contact_at,
        a.dt_alta as left_at,
        case
            when t.dt_atualizacao > a.dt_atualizacao then t.dt_atualizacao
            else a.dt_atualizacao
        end as updated_at
    from atendimentos_ps as a
    left join primeira_triagem as t
        on a.cd_atendimento = t.cd_atendimento
)

select * from final
