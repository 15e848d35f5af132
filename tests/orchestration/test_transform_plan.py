"""The transform plan records why a build is full: a build asked for with --full, and one forced because a
changed setting reaches every table (orchestration/defs/transform.py), are told apart in openfit_state.builds."""

from __future__ import annotations

import duckdb

from orchestration.incremental import plan_transform


def test_a_forced_full_build_keeps_the_reason_it_was_forced():
    with duckdb.connect() as con:
        asked = plan_transform(con, "{}", force_full=True)
        assert (asked.full, asked.reason) == (True, "asked for (--full)")
        forced = plan_transform(
            con, "{}", force_full=True, full_reason="changed setting(s) files_athlete_id reach every table"
        )
        assert (forced.full, forced.reason) == (True, "changed setting(s) files_athlete_id reach every table")
        assert plan_transform(con, "{}").reason == "first build"  # not forced: the warehouse has no build yet
