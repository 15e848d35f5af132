"""Per-metric source priority for daily wellness: one chosen value per athlete, day and metric, its
source named, every source's value kept, and a changed priority changes the chosen values and nothing else."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from openfit.settings import DAILY_METRICS, Settings, get_settings
from orchestration.dbt import dbt_vars
from query.snapshot import snapshot_connection


def test_cross_device_daily_has_one_chosen_value_per_athlete_day_metric(fixture_warehouse):
    with snapshot_connection(fixture_warehouse) as con:
        not_one = con.execute(
            """
            select count(*) from (
                select athlete_id, date, metric from marts.cross_device_daily
                group by all having count(*) filter (where chosen) <> 1
            )
            """
        ).fetchone()[0]
        compared = con.execute(
            "select count(*) from marts.cross_device_daily where other_sources > 0"
        ).fetchone()[0]
        # every value of every source is there: the mart has one row per non-null wellness_daily_by_source cell
        cells = con.execute(
            "select "
            + " + ".join(f"count({m})" for m in DAILY_METRICS)
            + " from openfit.wellness_daily_by_source"
        ).fetchone()[0]
        rows = con.execute("select count(*) from marts.cross_device_daily").fetchone()[0]
    assert not_one == 0
    assert compared > 100  # ring and watch really overlap on most days
    assert rows == cells


def test_wellness_daily_publishes_the_chosen_value_and_its_source(fixture_warehouse):
    """For every metric, wellness_daily equals the chosen cross-device row; the seed's defaults hold: resting HR
    and sleep from the ring, steps from the watch, weight from the scale."""
    with snapshot_connection(fixture_warehouse) as con:
        for metric in DAILY_METRICS:
            mismatches = con.execute(
                f"""
                select count(*) from openfit.wellness_daily w
                full join (select * from marts.cross_device_daily where chosen and metric = ?) x
                  on x.athlete_id = w.athlete_id and x.date = w.date
                where (w.{metric} is not null or x.value is not null)
                  and (w.{metric} is distinct from x.value
                       or w.{metric}_source is distinct from coalesce(x.device_id, x.source))
                """,
                [metric],
            ).fetchone()[0]
            assert mismatches == 0, metric
        chosen_types = dict(
            con.execute(
                """
                select x.metric, string_agg(distinct d.device_type, ',') from marts.cross_device_daily x
                join openfit.devices d using (device_id) where x.chosen group by 1
                """
            ).fetchall()
        )
    assert chosen_types["resting_hr"] == "ring" and chosen_types["sleep_s"] == "ring"
    assert chosen_types["steps"] == "watch" and chosen_types["weight_kg"] == "scale"


def test_cross_device_deviation_is_from_the_other_sources_mean(fixture_warehouse):
    with snapshot_connection(fixture_warehouse) as con:
        wrong = con.execute(
            """
            select count(*) from marts.cross_device_daily x
            where abs(x.deviation - (x.value - (select avg(o.value) from marts.cross_device_daily o
                                                where o.athlete_id = x.athlete_id and o.date = x.date
                                                  and o.metric = x.metric
                                                  and (o.source, coalesce(o.device_id, ''))
                                                      <> (x.source, coalesce(x.device_id, ''))))) > 1e-9
               or (x.other_sources = 0) <> (x.deviation is null)
            """
        ).fetchone()[0]
    assert wrong == 0


def test_overrides_setting_is_validated_and_passed_to_dbt(monkeypatch):
    monkeypatch.setenv(
        "OPENFIT_DAILY_SOURCE_OVERRIDES",
        json.dumps([{"athlete_id": "a1", "metric": "resting_hr", "source": "watch"}]),
    )
    get_settings.cache_clear()
    assert dbt_vars(get_settings())["daily_source_overrides"] == [
        {"athlete_id": "a1", "metric": "resting_hr", "source": "watch"}
    ]
    with pytest.raises(ValidationError, match="unknown daily metric 'resting_heart_rate'"):
        Settings(daily_source_overrides=[{"metric": "resting_heart_rate", "source": "watch"}])
    with pytest.raises(ValidationError, match="source"):
        Settings(daily_source_overrides=[{"metric": "steps", "source": ""}])


def _daily_state(settings) -> dict[str, list]:
    with snapshot_connection(settings) as con:
        return {
            "wellness_daily": con.execute(
                "select * from openfit.wellness_daily order by athlete_id, date"
            ).fetchall(),
            "columns": [c[0] for c in con.execute("describe openfit.wellness_daily").fetchall()],
            "by_source": con.execute(
                "select * from openfit.wellness_daily_by_source order by all"
            ).fetchall(),
            "cross_device": con.execute(
                "select athlete_id, date, metric, source, device_id, value, chosen from marts.cross_device_daily "
                "order by all"
            ).fetchall(),
            "activities": con.execute("select * from openfit.activities order by activity_id").fetchall(),
            "load": con.execute(
                "select * from marts.daily_training_load order by athlete_id, date"
            ).fetchall(),
            "devices": dict(con.execute("select device_id, device_type from openfit.devices").fetchall()),
        }


@pytest.mark.slow
def test_changing_a_daily_priority_changes_only_the_chosen_values(warehouse_copy, monkeypatch):
    """Overrides: every athlete's resting HR from the watch ('*'), and one athlete's sleep score from the watch.
    After a real rebuild only those values and their *_source change; every source's values, the activities and
    the training load stay as they were."""
    from orchestration.build import run_build

    before = _daily_state(warehouse_copy)
    athletes = sorted({row[0] for row in before["wellness_daily"]})
    one = athletes[0]
    monkeypatch.setenv(
        "OPENFIT_DAILY_SOURCE_OVERRIDES",
        json.dumps(
            [
                {"athlete_id": one, "metric": "sleep_score", "source": "watch"},
                {"metric": "resting_hr", "source": "watch"},
            ]
        ),
    )
    get_settings.cache_clear()
    report = run_build(get_settings())
    assert report.success, report.failure
    after = _daily_state(get_settings())

    for unchanged in ("by_source", "activities", "load", "columns"):
        assert after[unchanged] == before[unchanged], unchanged
    columns = before["columns"]
    changed = {"resting_hr", "resting_hr_source", "sleep_score", "sleep_score_source"}
    assert len(after["wellness_daily"]) == len(before["wellness_daily"])
    changed_cells = {"resting_hr": 0, "sleep_score": 0}
    for old, new in zip(before["wellness_daily"], after["wellness_daily"], strict=True):
        old_row, new_row = dict(zip(columns, old, strict=True)), dict(zip(columns, new, strict=True))
        for column in set(columns) - changed:
            assert new_row[column] == old_row[column], (column, old_row["athlete_id"], old_row["date"])
        # resting HR now comes from the watch wherever the watch measured it
        if new_row["resting_hr_source"] is not None:
            watch_had_it = after["devices"].get(new_row["resting_hr_source"]) == "watch"
            assert watch_had_it or old_row["resting_hr_source"] == new_row["resting_hr_source"]
            changed_cells["resting_hr"] += old_row["resting_hr_source"] != new_row["resting_hr_source"]
        # sleep score moves to the watch for the one athlete only
        if old_row["athlete_id"] != one:
            assert new_row["sleep_score_source"] == old_row["sleep_score_source"]
            assert new_row["sleep_score"] == old_row["sleep_score"]
        elif new_row["sleep_score_source"] != old_row["sleep_score_source"]:
            assert after["devices"][new_row["sleep_score_source"]] == "watch"
            changed_cells["sleep_score"] += 1
    assert changed_cells["resting_hr"] > 50 and changed_cells["sleep_score"] > 10, changed_cells

    # the cross-device mart: same rows and values, only `chosen` moved, and only for the overridden metrics
    assert [row[:6] for row in after["cross_device"]] == [row[:6] for row in before["cross_device"]]
    moved = [
        a[:3] for b, a in zip(before["cross_device"], after["cross_device"], strict=True) if a[6] != b[6]
    ]
    assert {metric for _, _, metric in moved} == {"resting_hr", "sleep_score"}
    assert {athlete for athlete, _, metric in moved if metric == "sleep_score"} == {one}
