-- One row per patient. The prontuario is the patient key; the city comes from the IBGE register.
with pacientes as (
    select
        cd_paciente,
        nr_prontuario,
        nr_cpf,
        nr_cartao_sus,
        dt_nascimento,
        ie_sexo,
        cd_municipio_ibge,
        dt_atualizacao
    from paciente
),

municipios as (
    select
        cd_municipio_ibge,
        ds_municipio,
        sg_uf
    from municipio
),

final as (
    select
        cast(p.cd_paciente as varchar(20)) as record_id,
        cast(p.nr_prontuario as varchar(20)) as patient_key,
        p.nr_cpf as cpf,
        p.nr_cartao_sus as cns,
        cast(to_char(p.dt_nascimento, 'YYYY') as integer) as birth_year,
        cast(to_char(p.dt_nascimento, 'MM') as integer) as birth_month,
        p.ie_sexo as sex,
        m.ds_municipio as city,
        m.sg_uf as uf,
        p.dt_atualizacao as updated_at
    from pacientes as p
    left join municipios as m
        on p.cd_municipio_ibge = m.cd_municipio_ibge
)

select * from final
