"""The synthetic cohort: determinism, physiological ranges, dated profiles, travel, devices that disagree."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ingestion.sources.synthetic import SyntheticConfigError, fault_truth, ground_truth, synthetic_source
from ingestion.sources.synthetic.generate import generate_chunk
from ingestion.sources.synthetic.model import make_athlete, place_on, profile_on

SC_TO_DEG = 180 / 2**31


def _col(table, name) -> np.ndarray:
    """Non-null values of an Arrow column as numpy."""
    return pc.drop_null(table[name]).to_numpy()


def test_same_seed_same_data_and_other_seed_other_data():
    first, last = date(2025, 1, 6), date(2025, 1, 19)
    a = generate_chunk(7, 1, first, last)
    b = generate_chunk(7, 1, first, last)
    c = generate_chunk(8, 1, first, last)
    for table in ("activity_streams", "sleep_levels", "intraday"):
        assert a.arrow[table].equals(b.arrow[table]), table
    assert a.rows == b.rows
    assert not a.arrow["activity_streams"].equals(c.arrow["activity_streams"])
    assert a.rows["activities"] != c.rows["activities"]


def test_a_day_does_not_depend_on_the_window_or_the_cohort_size():
    """Chunks are generated per athlete and day: a sliding window or more athletes never rewrites history."""
    whole = generate_chunk(3, 0, date(2025, 2, 1), date(2025, 2, 28))
    part = generate_chunk(3, 0, date(2025, 2, 15), date(2025, 2, 28))
    ids = {r["activity_id"] for r in part.rows["activities"]}
    assert ids and ids <= {r["activity_id"] for r in whole.rows["activities"]}
    in_both = [r for r in whole.rows["activities"] if r["activity_id"] in ids]
    assert sorted(in_both, key=lambda r: r["activity_id"]) == sorted(
        part.rows["activities"], key=lambda r: r["activity_id"]
    )
    small = ground_truth(athletes=1, days=20, seed=3, end_date=date(2025, 2, 28))
    large = ground_truth(athletes=4, days=20, seed=3, end_date=date(2025, 2, 28))
    assert small.equals(large.filter(large["athlete_id"] == "athlete-001"))


def _without_labelled_faults(cohort):
    """The stream rows outside the samples of the labelled sensor faults (fault_truth): those are implausible on
    purpose, for marts.activity_data_issues to find, and are tested in test_synthetic_faults.py."""
    truth = fault_truth(athletes=cohort.athletes, days=cohort.days, seed=cohort.seed, end_date=cohort.end)
    s = cohort.arrow["activity_streams"]
    faulty = np.zeros(s.num_rows, dtype=bool)
    ids, stamps = s["activity_id"].to_numpy(zero_copy_only=False), s["timestamp"].to_numpy()
    for fault in truth.iter_rows(named=True):
        faulty |= (
            (ids == fault["activity_id"]) & (stamps >= fault["start_gmt"]) & (stamps <= fault["end_gmt"])
        )
    return s.filter(pa.array(~faulty))


def test_stream_values_are_physiological(cohort):
    s = _without_labelled_faults(cohort)
    hr = _col(s, "heart_rate")
    assert hr.size > 10_000 and hr.min() >= 35 and hr.max() <= 215
    power = _col(s, "power")
    assert power.size > 1000 and power.min() >= 0 and power.max() <= 2000
    speed_mps = _col(s, "speed") / 1000
    assert speed_mps.min() >= 0 and speed_mps.max() <= 25
    cadence = _col(s, "cadence")
    assert cadence.min() >= 0 and cadence.max() <= 220
    altitude_m = _col(s, "altitude") / 100
    assert altitude_m.min() >= -50 and altitude_m.max() <= 3000
    temp = _col(s, "temperature")
    assert temp.min() >= -20 and temp.max() <= 45
    lat, lon = _col(s, "position_lat") * SC_TO_DEG, _col(s, "position_long") * SC_TO_DEG
    assert lat.size > 1000 and np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)
    # every GPS point is near one of the athletes' homes or travel places (semicircle conversion is right)
    places = {
        (p.lat, p.lon)
        for k in range(cohort.athletes)
        for p in (make_athlete(cohort.seed, k).home, make_athlete(cohort.seed, k).travel)
    }
    near = np.zeros(lat.size, dtype=bool)
    for plat, plon in places:
        near |= (np.abs(lat - plat) < 0.6) & (np.abs(lon - plon) < 0.9)
    assert near.all()
    # distance is cumulative per recording and timestamps advance 1 s (faulty samples included)
    s = cohort.arrow["activity_streams"]
    for activity_id in np.unique(s["activity_id"].to_numpy())[:40]:
        one = s.filter(pc.equal(s["activity_id"], activity_id))
        ts = one["timestamp"].to_numpy()
        assert np.all(np.diff(ts) == 1)
        dist = _col(one, "distance")
        assert np.all(np.diff(dist) >= 0)


def test_heart_rate_lags_effort(cohort):
    """After a step up in power the heart rate rises over tens of seconds (first-order response), not at once."""
    s = cohort.arrow["activity_streams"]
    acts = [
        p
        for p in cohort.payloads("activities")
        if p["activityType"] == "indoor_cycling" and p["averagePower"]
    ]
    assert acts
    one = s.filter(pc.equal(s["activity_id"], acts[0]["activityId"]))
    power = one["power"].to_numpy(zero_copy_only=False).astype(float)
    hr = one["heart_rate"].to_numpy(zero_copy_only=False).astype(float)
    smooth = np.convolve(power, np.ones(10) / 10, mode="same")
    steps = np.flatnonzero(smooth[20:-200] * 1.25 < smooth[40:-180])
    assert steps.size, "an interval start"
    i = int(steps[0]) + 30
    assert hr[i + 90] - hr[i] > 5  # still rising well after the power jumped


def test_daily_values_are_physiological(cohort):
    sleeps = cohort.payloads("sleep")
    assert sleeps
    for p in sleeps:
        duration = (p["sleepEndTimestampGmt"] - p["sleepStartTimestampGmt"]) / 1000
        assert 4 * 3600 <= duration <= 11 * 3600
        stages = (
            p["deepSleepSeconds"] + p["lightSleepSeconds"] + p["remSleepSeconds"] + p["awakeSleepSeconds"]
        )
        assert abs(stages - duration) <= 300
        local_end_h = ((p["sleepEndTimestampGmt"] / 1000 + p["timeZoneOffsetSec"]) % 86400) / 3600
        assert 4 <= local_end_h <= 11, "sleep ends in the morning, local time"
        assert 0 < p["sleepScore"] <= 100 and 30 <= p["lowestHeartRate"] <= 80
        assert 15 <= p["avgOvernightHrv"] <= 200 and 8 <= p["averageRespirationRate"] <= 25
    for p in cohort.payloads("daily_summaries"):
        assert 35 <= p["restingHeartRate"] <= 85
        assert 0 <= p["totalSteps"] <= 60_000
        assert p["averageStressLevel"] is None or 0 <= p["averageStressLevel"] <= 100
    for p in cohort.payloads("weigh_ins"):
        assert 40_000 <= p["weight"] <= 120_000 and 3 <= p["bodyFat"] <= 40
    intraday = cohort.arrow["intraday"]
    for metric, lo, hi in (("heart_rate", 30, 220), ("spo2", 85, 100), ("stress", 0, 100)):
        values = intraday.filter(pc.equal(intraday["metric"], metric))["value"].to_numpy()
        assert values.size > 100 and lo <= values.min() and values.max() <= hi, metric
    levels = cohort.arrow["sleep_levels"]
    assert set(levels["activity_level"].to_pylist()) == {0, 1, 2, 3}
    assert pc.all(pc.greater(levels["end_gmt"], levels["start_gmt"])).as_py()


def test_ring_and_watch_disagree_realistically(cohort):
    by_night: dict[tuple[str, int], dict[str, dict]] = defaultdict(dict)
    devices = {r["device_id"]: r["payload"]["deviceType"] for r in cohort.rows["devices"]}
    for p in cohort.payloads("sleep"):
        by_night[(p["athleteId"], p["sleepEndTimestampGmt"] // 86_400_000)][devices[p["deviceId"]]] = p
    pairs = [v for v in by_night.values() if {"ring", "watch"} <= set(v)]
    assert len(pairs) > 20
    ring_hrv_higher = np.mean([v["ring"]["avgOvernightHrv"] > v["watch"]["avgOvernightHrv"] for v in pairs])
    watch_onset_later = np.mean(
        [v["watch"]["sleepStartTimestampGmt"] > v["ring"]["sleepStartTimestampGmt"] for v in pairs]
    )
    assert ring_hrv_higher > 0.9 and watch_onset_later > 0.9
    assert all(
        abs(v["ring"]["sleepEndTimestampGmt"] - v["watch"]["sleepEndTimestampGmt"]) < 3_600_000 for v in pairs
    )


def test_profiles_change_at_fitness_tests(cohort):
    by_athlete = defaultdict(list)
    for p in cohort.payloads("athlete_profiles"):
        by_athlete[p["athleteId"]].append(p)
    assert len(by_athlete) == cohort.athletes
    for rows in by_athlete.values():
        rows.sort(key=lambda p: p["effectiveFrom"])
        assert date.fromisoformat(rows[0]["effectiveFrom"]) <= cohort.first, (
            "a profile is in force from day one"
        )
        assert any(cohort.first < date.fromisoformat(p["effectiveFrom"]) <= cohort.end for p in rows), (
            "a test mid-period"
        )
        assert len({(p["functionalThresholdPower"], p["lactateThresholdSpeed"]) for p in rows}) >= 2
        for p in rows:
            assert 150 <= p["maxHeartRate"] <= 210 and 38 <= p["restingHeartRate"] <= 65
            assert p["restingHeartRate"] < p["lactateThresholdHeartRate"] < p["maxHeartRate"]
            assert 100 <= p["functionalThresholdPower"] <= 450 and 2.5 <= p["lactateThresholdSpeed"] <= 5.5
    # over a season FTP and threshold pace improve (spring -> late summer)
    athlete = make_athlete(cohort.seed, 0)
    march, september = (
        profile_on(cohort.seed, athlete, date(2025, 3, 1)),
        profile_on(cohort.seed, athlete, date(2025, 9, 20)),
    )
    assert september.ftp_w > march.ftp_w and september.threshold_speed > march.threshold_speed


def test_an_athlete_travels_across_time_zones():
    """Within a quarter every athlete has a week abroad; offsets change and so do the local dates."""
    first, last = date(2025, 1, 1), date(2025, 3, 31)
    travelled = 0
    for k in range(3):
        athlete = make_athlete(1, k)
        zones = {place_on(athlete, first + timedelta(days=i)).zone for i in range((last - first).days + 1)}
        travelled += len(zones) > 1
    assert travelled == 3
    # the raw data carry the changing offset
    athlete = make_athlete(1, 0)
    trip = next(
        first + timedelta(days=i)
        for i in range(90)
        if place_on(athlete, first + timedelta(days=i)) != athlete.home
    )
    chunk = generate_chunk(1, 0, trip - timedelta(days=3), trip + timedelta(days=9))
    offsets = {p["payload"]["timeZoneOffsetSec"] for p in chunk.rows["daily_summaries"]}
    assert len(offsets) >= 2 and max(offsets) - min(offsets) >= 5 * 3600


def test_bad_parameters_get_a_clear_error():
    with pytest.raises(SyntheticConfigError, match="athletes"):
        synthetic_source(athletes=0)
    with pytest.raises(SyntheticConfigError, match="days"):
        synthetic_source(days=-3)
    with pytest.raises(SyntheticConfigError, match="end_date"):
        ground_truth(end_date="2025-01-01")  # type: ignore[arg-type]


def test_nothing_from_the_future():
    """A window that reaches "now" leaves out every record that ends after now (GE checks 'not in the future')."""
    from datetime import UTC, datetime

    from ingestion.sources.synthetic.source import resolve_window

    now = datetime(2025, 3, 12, 13, 30, tzinfo=UTC)
    window = resolve_window(days=5, end_date=None, now=now)
    assert window.last == now.date() and window.cutoff == int(now.timestamp())
    assert resolve_window(days=5, end_date=date(2024, 1, 1), now=now).cutoff is None
    cutoff = window.cutoff
    kept = generate_chunk(11, 0, window.first, window.last, cutoff)
    full = generate_chunk(11, 0, window.first, window.last)
    assert pc.max(kept.arrow["activity_streams"]["timestamp"]).as_py() <= cutoff
    assert pc.max(kept.arrow["intraday"]["timestamp"]).as_py() <= cutoff
    assert pc.max(kept.arrow["sleep_levels"]["end_gmt"]).as_py() <= cutoff * 1000
    assert all(r["payload"]["sleepEndTimestampGmt"] <= cutoff * 1000 for r in kept.rows["sleep"])
    assert all(r["payload"]["timestampGmt"] <= cutoff * 1000 for r in kept.rows["weigh_ins"])
    assert all(r["_fetched_at"].timestamp() <= cutoff for r in kept.rows["activities"])
    # the day in progress has no daily summary yet, and the cut really removed something
    assert now.date().isoformat() not in {r["calendar_date"] for r in kept.rows["daily_summaries"]}
    assert full.arrow["intraday"].num_rows > kept.arrow["intraday"].num_rows
