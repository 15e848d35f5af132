"""The activity merge against the synthetic ground truth: one canonical activity per real workout."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.sources.synthetic import ground_truth
from query.snapshot import snapshot_connection

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "merge_quality.py"
TARGET = 0.99


def _scoring():
    if (
        str(BENCHMARK.parent) not in sys.path
    ):  # the script imports its folder's helper (cohort.py) as a script run would
        sys.path.insert(0, str(BENCHMARK.parent))
    spec = importlib.util.spec_from_file_location("merge_quality", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def _truth(settings) -> pl.DataFrame:
    return ground_truth(
        settings.synthetic_athletes,
        settings.synthetic_days,
        settings.synthetic_seed,
        settings.synthetic_end_date,
    )


def test_pair_scores_counts_pairs_correctly():
    scoring = _scoring()
    truth = pl.DataFrame({"activity_id": ["a", "b", "c", "d"], "workout_id": ["w1", "w1", "w1", "w2"]})
    # merge joined a+b, missed c, wrongly joined d to nothing else but c
    merged = pl.DataFrame({"external_id": ["a", "b", "c", "d"], "activity_id": ["x", "x", "y", "y"]})
    scores = scoring.pair_scores(truth, merged)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (3, 2, 1)
    assert scores.precision == 0.5 and scores.recall == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="missing"):
        scoring.pair_scores(truth, merged.head(3))


def test_merge_precision_and_recall_on_adversarial_cohort(fixture_warehouse):
    scoring = _scoring()
    truth = _truth(fixture_warehouse)
    with snapshot_connection(fixture_warehouse) as con:
        recordings = scoring.synthetic_recordings(con)
    overall = scoring.pair_scores(truth, recordings)
    assert overall.true_pairs > 20  # the cohort really has duplicates to merge
    assert overall.precision >= TARGET and overall.recall >= TARGET, overall
    # the adversarial situations are present and handled
    for tag in ("multi_device", "near_simultaneous", "clock_skew"):
        tagged = truth.filter(pl.col("tags").str.contains(tag))
        assert tagged.height > 0, f"cohort has no {tag} case"
        scores = scoring.pair_scores(tagged, recordings)
        assert scores.precision >= TARGET and scores.recall >= TARGET, (tag, scores)


def test_one_activity_per_workout_every_recording_linked(fixture_warehouse):
    truth = _truth(fixture_warehouse)
    with snapshot_connection(fixture_warehouse) as con:
        recordings, activities, primaries, unlinked = con.execute(
            """
            select
                (select count(*) from openfit.activity_recordings where source = 'synthetic'),
                (select count(*) from openfit.activities where primary_source = 'synthetic'),
                (select count(*) from openfit.activity_recordings where recording_role = 'primary'),
                (select count(*) from openfit.activity_recordings r
                 left join openfit.activities a using (activity_id) where a.activity_id is null)
            """
        ).fetchone()
        total_activities = con.execute("select count(*) from openfit.activities").fetchone()[0]
    assert recordings == truth.height
    assert activities == truth["workout_id"].n_unique()
    assert primaries == total_activities  # exactly one primary per activity
    assert unlinked == 0


def test_canonical_activities_do_not_overlap(fixture_warehouse):
    with snapshot_connection(fixture_warehouse) as con:
        overlaps = con.execute(
            """
            select count(*) from (
                select start_time < lag(end_time) over (partition by athlete_id order by start_time) as is_overlap
                from openfit.activities
            ) where is_overlap
            """
        ).fetchone()[0]
    assert overlaps == 0


def test_fields_come_from_the_prioritised_device(fixture_warehouse):
    """Outdoor rides with bike computer + watch (not just a split file of one device): power, distance and primary from the bike computer, GPS from the watch."""
    with snapshot_connection(fixture_warehouse) as con:
        rows = con.execute(
            """
            select a.activity_id, a.power_source, a.distance_source, a.gps_source, a.primary_device_id,
                   pd.device_type as power_type, gd.device_type as gps_type, a.avg_power_w,
                   exists (select 1 from openfit.activity_recordings w join openfit.devices wd using (device_id)
                           where w.activity_id = a.activity_id and wd.device_type = 'watch' and w.has_gps)
                       as watch_has_gps
            from openfit.activities a
            join openfit.devices pd on pd.device_id = a.power_source
            left join openfit.devices gd on gd.device_id = a.gps_source
            join openfit.activity_recordings r
              on r.activity_id = a.activity_id and r.device_id = a.power_source
            where a.sport = 'cycling' and not a.indoor
              and (select count(distinct device_id) from openfit.activity_recordings x
                   where x.activity_id = a.activity_id) > 1
            """
        ).fetchall()
    assert rows, "cohort has no multi-device outdoor ride"
    for _, power, distance, _, primary, power_type, gps_type, merged_power, watch_has_gps in rows:
        assert power_type == "bike_computer" and distance == power and primary == power
        # GPS from the watch whenever its recording has GPS, else from the bike computer
        assert gps_type == ("watch" if watch_has_gps else "bike_computer")
        assert merged_power is not None


def test_merged_samples_take_each_channel_from_its_device(fixture_warehouse):
    """An outdoor ride recorded by bike computer and watch: lat/lon come from the watch's stream, power from the
    bike computer's, on the bike computer's timeline."""
    with snapshot_connection(fixture_warehouse) as con:
        activity_id, gps_source, power_source = con.execute(
            """
            select a.activity_id, a.gps_source, a.power_source from openfit.activities a
            join openfit.devices d on d.device_id = a.gps_source
            where a.sport = 'cycling' and d.device_type = 'watch' and a.power_source <> a.gps_source
            order by a.activity_id limit 1
            """
        ).fetchone()
        merged_lat = con.execute(
            "select count(*) from openfit.activity_samples where activity_id = ? and lat is not null",
            [activity_id],
        ).fetchone()[0]
        timeline_ok = con.execute(
            """
            select bool_and(r.device_id = ?) from openfit.activity_samples s
            join openfit.activity_recordings r using (recording_id) where s.activity_id = ?
            """,
            [power_source, activity_id],
        ).fetchone()[0]
    assert merged_lat > 0 and timeline_ok
    # the lat values equal the watch's raw stream at the same second (proves the channel join)
    warehouse = duckdb.connect(str(fixture_warehouse.warehouse_path), read_only=True)
    try:
        mismatches = warehouse.execute(
            """
            select count(*) from openfit.activity_samples s
            join intermediate.int_activity_samples_unioned u on u.ts = s.ts
            join openfit.activity_recordings r on r.recording_id = u.recording_id
            where s.activity_id = ? and r.activity_id = ? and r.device_id = ? and s.lat is distinct from u.lat
            """,
            [activity_id, activity_id, gps_source],
        ).fetchone()[0]
    finally:
        warehouse.close()
    assert mismatches == 0


def test_ids_of_single_recordings_are_unchanged_by_merging(fixture_warehouse):
    with snapshot_connection(fixture_warehouse) as con:
        wrong = con.execute(
            """
            select count(*) from openfit.activities
            where recording_count = 1 and activity_id <> 'act_' || left(md5(primary_recording_id), 16)
            """
        ).fetchone()[0]
    assert wrong == 0


@pytest.mark.slow
def test_a_later_copy_of_every_workout_changes_neither_ids_nor_training_load(warehouse_copy):
    """A second source delivers a copy of every recording later: ids, activity count and CTL stay as they were."""
    from orchestration.build import run_build

    def state():
        with snapshot_connection(warehouse_copy) as con:
            ids = dict(
                con.execute("select recording_id, activity_id from openfit.activity_recordings").fetchall()
            )
            load = con.execute(
                "select athlete_id, date, round(ctl, 6), round(load, 6) from marts.daily_training_load order by 1, 2"
            ).fetchall()
            activities = con.execute("select count(*) from openfit.activities").fetchone()[0]
        return ids, load, activities

    ids_before, load_before, activities_before = state()
    con = duckdb.connect(str(warehouse_copy.warehouse_path))
    try:
        # the copy: same payload, a new vendor id, no device (a service's echo), loaded after everything else
        con.execute(
            """
            insert into raw_synthetic.activities by name
            select * replace (
                'copy' || activity_id as activity_id,
                json_merge_patch(payload, '{"deviceId": null}') as payload,
                null as device_id,
                '9999999999.0' as _dlt_load_id,
                'copy' || _dlt_id as _dlt_id
            )
            from raw_synthetic.activities
            """
        )
        con.execute(  # the load that delivered them, as dlt records it
            "insert into raw_synthetic._dlt_loads (load_id, schema_name, status, inserted_at) "
            "select '9999999999.0', 'synthetic', 0, now()"
        )
        copies = con.execute(
            "select count(*) from raw_synthetic.activities where activity_id like 'copy%'"
        ).fetchone()
    finally:
        con.close()
    assert copies[0] == len([r for r in ids_before if r.startswith("synthetic:")])

    report = run_build(warehouse_copy)
    assert report.success, report.failure
    ids_after, load_after, activities_after = state()
    assert activities_after == activities_before
    assert {r: ids_after[r] for r in ids_before} == ids_before
    copies_linked = {
        ids_after["synthetic:copy" + r.split(":", 1)[1]] == a
        for r, a in ids_before.items()
        if r.startswith("synthetic:")
    }
    assert copies_linked == {True}
    # the mart runs to today: a build that crosses midnight adds a day, which is not what this test is about
    last_day = max(day for _, day, _, _ in load_before)
    assert [row for row in load_after if row[1] <= last_day] == load_before
