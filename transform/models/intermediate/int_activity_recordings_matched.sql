-- Which canonical activity each recording belongs to, and its role there.
-- Today every recording is its own activity (role 'primary'); the merge (issue 5) replaces this model with
-- overlap matching. activity_id is derived from the primary recording's id, so it is stable across rebuilds.
select
    recording_id,
    'act_' || left(md5(recording_id), 16) as activity_id,
    'primary' as recording_role
from {{ ref('int_activity_recordings_unioned') }}
