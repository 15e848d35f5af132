-- One row: which version of the OpenFit spec this database implements (see SCHEMA.md).
select
    cast('{{ var("openfit_spec_version") }}' as varchar) as spec_version,
    cast(current_timestamp as timestamp with time zone) as built_at,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id
