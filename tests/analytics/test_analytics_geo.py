"""Great-circle distances and track distance from positions (analytics.geo)."""

import math

import numpy as np
import pytest

import analytics as a


def test_one_degree_of_longitude_on_the_equator_is_the_mean_radius_arc():
    assert a.haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(
        a.EARTH_MEAN_RADIUS_M * math.pi / 180, rel=1e-12
    )
    assert a.haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_195.08, abs=0.01)


def test_published_city_distance():
    # Big Ben to the Statue of Liberty: 5,574.8 km by the haversine formula on a 6,371 km sphere
    assert a.haversine_m(51.5007, -0.1246, 40.6892, -74.0445) / 1000 == pytest.approx(5574.8, abs=1.0)


def test_antipodes_and_nan():
    assert a.haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * a.EARTH_MEAN_RADIUS_M)
    assert np.isnan(a.haversine_m(np.nan, 0, 0, 1))


def test_track_distance_is_cumulative_skips_missing_positions_and_segment_breaks():
    lat = [np.nan, 0.0, np.nan, 0.0, 0.0, 0.0]
    lon = [np.nan, 0.0, np.nan, 0.01, 0.02, 0.03]
    hop = a.haversine_m(0, 0, 0, 0.01)
    np.testing.assert_allclose(a.track_distance_m(lat, lon), [0, 0, 0, hop, 2 * hop, 3 * hop])
    # a new segment starts at the fifth point: the jump from the fourth is not walked
    np.testing.assert_allclose(
        a.track_distance_m(lat, lon, segment=[0, 0, 0, 0, 1, 1]), [0, 0, 0, hop, hop, 2 * hop]
    )
    assert a.track_distance_m([], []).size == 0
    with pytest.raises(ValueError, match="differ in length"):
        a.track_distance_m([0.0, 1.0], [0.0])
