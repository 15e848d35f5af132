{{ config(materialized='table') }}
-- The canonical activities this build recomputes, under their old ids and their new ones:
--   * every activity that holds a changed recording (int_changed_recordings), before or after matching;
--   * every activity whose make-up changed: its members and their roles, or the device chosen for a channel
--     (a new recording merges into it, bridges two activities, or a device's type changed its rank).
-- The previous make-up is read from openfit.activity_recordings / openfit.activities as the last build left
-- them: those two models depend on this one, so dbt builds this one first. On a full refresh (or the first
-- build) every activity is changed.
{%- set old_recordings = adapter.get_relation(
    database=target.database, schema='openfit', identifier='activity_recordings') if execute else none %}
{%- set old_activities = adapter.get_relation(
    database=target.database, schema='openfit', identifier='activities') if execute else none %}
{%- set has_previous = old_recordings is not none and old_activities is not none and not flags.FULL_REFRESH %}
with new_members as (
    select activity_id, athlete_id, recording_id, recording_role
    from {{ ref('int_activity_recordings_matched') }}
),

new_make_up as (
    select
        members.activity_id,
        any_value(members.athlete_id) as athlete_id,
        string_agg(members.recording_id || '/' || members.recording_role, ',' order by members.recording_id)
            || '|' || coalesce(any_value(activities.hr_source), '')
            || '|' || coalesce(any_value(activities.power_source), '')
            || '|' || coalesce(any_value(activities.gps_source), '')
            || '|' || coalesce(any_value(activities.distance_source), '')
            as make_up
    from new_members as members
    left join {{ ref('int_activities_merged') }} as activities using (activity_id)
    group by members.activity_id
),

{%- if has_previous %}

old_members as (
    select activity_id, athlete_id, recording_id, recording_role from {{ old_recordings }}
),

old_make_up as (
    select
        members.activity_id,
        any_value(members.athlete_id) as athlete_id,
        string_agg(members.recording_id || '/' || members.recording_role, ',' order by members.recording_id)
            || '|' || coalesce(any_value(activities.hr_source), '')
            || '|' || coalesce(any_value(activities.power_source), '')
            || '|' || coalesce(any_value(activities.gps_source), '')
            || '|' || coalesce(any_value(activities.distance_source), '')
            as make_up
    from old_members as members
    left join {{ old_activities }} as activities using (activity_id)
    group by members.activity_id
),

{%- else %}

old_members as (
    select null::varchar as activity_id, null::varchar as athlete_id, null::varchar as recording_id,
        null::varchar as recording_role
    where false
),

old_make_up as (
    select null::varchar as activity_id, null::varchar as athlete_id, null::varchar as make_up where false
),

{%- endif %}

changed as (
    select coalesce(new_make_up.activity_id, old_make_up.activity_id) as activity_id,
        coalesce(new_make_up.athlete_id, old_make_up.athlete_id) as athlete_id
    from new_make_up
    full outer join old_make_up using (activity_id)
    where new_make_up.make_up is distinct from old_make_up.make_up
    union
    select activity_id, athlete_id from new_members
    where recording_id in (select recording_id from {{ ref('int_changed_recordings') }})
    union
    select activity_id, athlete_id from old_members
    where recording_id in (select recording_id from {{ ref('int_changed_recordings') }})
)

select activity_id, any_value(athlete_id) as athlete_id
from changed
where activity_id is not null
group by activity_id
