{{ config(materialized='table') }}
-- Recordings delivered by the loads this build transforms (openfit_state.pending_loads); every recording on a
-- full refresh. A source delivers a recording's samples in the same load as its recording row, so a
-- re-delivered or edited recording shows up here by its recording row.
select recording_id, athlete_id, load_id
from {{ ref('int_activity_recordings_unioned') }}
{%- if not flags.FULL_REFRESH %}
where {{ pending_load_filter('load_id') }}
{%- endif %}
