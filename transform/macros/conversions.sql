{#- Unit and time conversions shared by staging models. Keep them tiny and set-based: they run on every sample. -#}

{#- Epoch seconds -> TIMESTAMPTZ (an instant; displayed in UTC by the profile's TimeZone). -#}
{% macro epoch_s_to_utc(column) -%}
    to_timestamp(({{ column }})::bigint)
{%- endmacro %}

{#- Epoch milliseconds -> TIMESTAMPTZ, exact to the millisecond (no float rounding). -#}
{% macro epoch_ms_to_utc(column) -%}
    timezone('UTC', epoch_ms(({{ column }})::bigint))
{%- endmacro %}

{#- The local calendar date of an epoch-seconds instant, given the UTC offset in seconds at that instant.
    Computed on a naive timestamp so the session time zone cannot change it. -#}
{% macro local_date_from_epoch_s(epoch_s, utc_offset_s) -%}
    cast(make_timestamp((({{ epoch_s }})::bigint + coalesce(({{ utc_offset_s }})::bigint, 0)) * 1000000) as date)
{%- endmacro %}

{#- Garmin/FIT semicircles -> degrees: deg = sc * 180 / 2^31. -#}
{% macro semicircles_to_degrees(column) -%}
    (cast({{ column }} as double) * (180.0::double / 2147483648.0::double))
{%- endmacro %}

{#- Speed in m/s -> pace in s/km; null for a missing or non-positive speed. -#}
{% macro speed_mps_to_pace_s_per_km(column) -%}
    case when ({{ column }}) > 0 then 1000.0::double / ({{ column }}) end
{%- endmacro %}

{#- A globally unique OpenFit id for a source-local id: '<source>:<id>'. Stable across rebuilds. -#}
{% macro source_scoped_id(source_name, column) -%}
    ({{ source_name }} || ':' || ({{ column }})::varchar)
{%- endmacro %}

{#- Read one field of a JSON payload as a typed SQL value (JSON null -> SQL null; garbage fails the build loudly). -#}
{% macro json_field(field, data_type='varchar', payload='payload') -%}
    cast(({{ payload }} ->> '{{ field }}') as {{ data_type }})
{%- endmacro %}

{#- A Time Zone Designator ('+01:00', '-05:30', 'Z') as seconds east of UTC; null when it is not one. -#}
{% macro tzd_to_seconds(expression) -%}
    case
        when ({{ expression }}) in ('Z', 'z') then 0
        when regexp_full_match({{ expression }}, '[+-][0-9]{2}:?[0-9]{2}') then
            (case when left({{ expression }}, 1) = '-' then -1 else 1 end)
            * (cast(substr({{ expression }}, 2, 2) as integer) * 3600
               + cast(right({{ expression }}, 2) as integer) * 60)
    end
{%- endmacro %}

{#- A wall-clock time written as text ('YYYY-MM-DD HH:MM:SS') -> TIMESTAMPTZ: at the UTC offset written with it
    (minutes) when there is one, else in the IANA time zone `tz` (DST handled by ICU). -#}
{% macro wall_time_to_utc(wall_time, offset_min, tz) -%}
    case
        when ({{ offset_min }}) is not null
            then timezone('UTC', cast({{ wall_time }} as timestamp) - to_minutes(({{ offset_min }})::bigint))
        else timezone({{ tz }}, cast({{ wall_time }} as timestamp))
    end
{%- endmacro %}

{#- An ISO 8601 time duration as Polar writes them ('PT2H44M', 'PT1H2M3.5S', 'PT210.026S') in seconds; null when
    it is not one. Only the time part (after 'T') is read: Polar's durations have no days, months or years. -#}
{% macro iso_duration_to_seconds(expression) -%}
    case
        when regexp_full_match({{ expression }}, 'PT([0-9]+H)?([0-9]+M)?([0-9.]+S)?') then
            coalesce(try_cast(regexp_extract({{ expression }}, '([0-9]+)H', 1) as double), 0) * 3600
            + coalesce(try_cast(regexp_extract({{ expression }}, '([0-9]+)M', 1) as double), 0) * 60
            + coalesce(try_cast(regexp_extract({{ expression }}, '([0-9.]+)S', 1) as double), 0)
    end
{%- endmacro %}
