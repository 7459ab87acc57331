-- One row per attendance (atendimento): inpatient, ER, clinic and collection-post visits.
-- The patient key is the prontuario, not Hospitalis's internal cd_paciente.
with atendimentos as (
    select
        cd_atendimento,
        cd_paciente,
        ie_tipo_atendimento,
        ie_situacao,
        ie_carater_inter,
        dt_entrada,
        dt_alta,
        cd_motivo_alta,
        cd_setor_atendimento,
        cd_cid_principal,
        cd_convenio,
        dt_atualizacao
    from atendimento
),

pacientes as (
    select
        cd_paciente,
        nr_prontuario
    from paciente
),

final as (
    select
        cast(a.cd_atendimento as varchar(20)) as encounter_id,
        cast(p.nr_prontuario as varchar(20)) as patient_key,
        cast(a.ie_tipo_atendimento as varchar(2)) as encounter_type,
        a.ie_situacao as status,
        a.ie_carater_inter as admission_character,
        a.dt_entrada as admitted_at,
        a.dt_alta as discharged_at,
        cast(a.cd_motivo_alta as varchar(3)) as discharge_type,
        cast(a.cd_setor_atendimento as varchar(10)) as unit_code,
        a.cd_cid_principal as cid10,
        cast(a.cd_convenio as varchar(10)) as payer_type,
        a.dt_atualizacao as updated_at
    from atendimentos as a
    left join pacientes as p
        on a.cd_paciente = p.cd_paciente
)

select * from final
