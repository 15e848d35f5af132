"""GPX and TCX decoding, including extensions, multi-activity TCX, impossible values and hostile XML."""

from __future__ import annotations

import pytest

from ingestion.files.decode import decode_bytes, sniff

GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
     xmlns:pwr="http://www.garmin.com/xmlschemas/PowerExtension/v1">
  <metadata><name>Morning ride</name><time>2024-05-01T06:00:00Z</time></metadata>
  <trk><name>Ride</name><type>cycling</type>
    <trkseg>
      <trkpt lat="46.5" lon="15.5"><ele>200.5</ele><time>2024-05-01T06:00:00Z</time>
        <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>120</gpxtpx:hr><gpxtpx:cad>85</gpxtpx:cad>
          <gpxtpx:atemp>18.5</gpxtpx:atemp></gpxtpx:TrackPointExtension><power>210</power></extensions></trkpt>
      <trkpt lat="46.5001" lon="15.5002"><ele>201</ele><time>2024-05-01T08:00:01+02:00</time>
        <extensions><pwr:PowerInWatts>215</pwr:PowerInWatts><gpxtpx:TrackPointExtension><gpxtpx:hr>122</gpxtpx:hr>
          </gpxtpx:TrackPointExtension></extensions></trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat="123" lon="15.5"><ele>202</ele><time>2024-05-01T06:00:02Z</time></trkpt>
      <trkpt lat="46.5003" lon="15.5006"><ele>203</ele></trkpt>
      <trkpt lat="46.5004" lon="15.5008"><time>2024-05-01T06:00:04Z</time>
        <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>900</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
    </trkseg>
  </trk>
  <wpt lat="46.6" lon="15.6"><name>Summit</name></wpt>
</gpx>"""

TCX = b"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
  <Activities>
    <Activity Sport="Running">
      <Id>2024-05-01T06:00:00Z</Id>
      <Lap StartTime="2024-05-01T06:00:00Z">
        <TotalTimeSeconds>2</TotalTimeSeconds><DistanceMeters>6.5</DistanceMeters><Calories>1</Calories>
        <AverageHeartRateBpm><Value>121</Value></AverageHeartRateBpm>
        <MaximumHeartRateBpm><Value>122</Value></MaximumHeartRateBpm>
        <Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>
        <Track>
          <Trackpoint><Time>2024-05-01T06:00:00Z</Time>
            <Position><LatitudeDegrees>46.5</LatitudeDegrees><LongitudeDegrees>15.5</LongitudeDegrees></Position>
            <AltitudeMeters>200</AltitudeMeters><DistanceMeters>0</DistanceMeters>
            <HeartRateBpm><Value>120</Value></HeartRateBpm>
            <Extensions><ns3:TPX><ns3:Speed>3.2</ns3:Speed><ns3:RunCadence>88</ns3:RunCadence></ns3:TPX></Extensions>
          </Trackpoint>
          <Trackpoint><Time>2024-05-01T06:00:02Z</Time><DistanceMeters>6.5</DistanceMeters>
            <HeartRateBpm><Value>122</Value></HeartRateBpm></Trackpoint>
        </Track>
      </Lap>
      <Creator><Name>Forerunner 265</Name><UnitId>123</UnitId><ProductID>4257</ProductID>
        <Version><VersionMajor>20</VersionMajor><VersionMinor>26</VersionMinor></Version></Creator>
    </Activity>
    <Activity Sport="Biking">
      <Id>2024-05-01T07:00:00Z</Id>
      <Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>1</TotalTimeSeconds>
        <Track><Trackpoint><Time>2024-05-01T07:00:00Z</Time><Cadence>90</Cadence>
          <Extensions><ns3:TPX><ns3:Watts>250</ns3:Watts></ns3:TPX></Extensions></Trackpoint></Track>
      </Lap>
      <Lap StartTime="2024-05-01T07:00:01Z"><TotalTimeSeconds>1</TotalTimeSeconds>
        <Track><Trackpoint><Time>2024-05-01T07:00:01Z</Time>
          <Extensions><ns3:TPX><ns3:Watts>4000</ns3:Watts></ns3:TPX></Extensions></Trackpoint></Track>
      </Lap>
    </Activity>
  </Activities>
</TrainingCenterDatabase>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<gpx version="1.1"><trk><name>&lol9;</name></trk></gpx>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE TrainingCenterDatabase [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<TrainingCenterDatabase><Activities><Activity Sport="Running"><Id>&secret;</Id></Activity></Activities>
</TrainingCenterDatabase>"""


def test_gpx_points_times_positions_and_extensions():
    decoded = decode_bytes(GPX, "ride.gpx")
    assert decoded.format == "gpx"
    rows = decoded.tables["record"].to_pylist()
    assert len(rows) == 5
    first, second = rows[0], rows[1]
    assert first["timestamp"].isoformat() == "2024-05-01T06:00:00+00:00"
    assert second["timestamp"].isoformat() == "2024-05-01T06:00:01+00:00"  # +02:00 offset normalised to UTC
    assert (first["position_lat"], first["position_long"], first["altitude"]) == (46.5, 15.5, 200.5)
    assert (first["heart_rate"], first["cadence"], first["temperature"], first["power"]) == (
        120,
        85,
        18.5,
        210,
    )
    assert second["power"] == 215 and second["heart_rate"] == 122
    assert [r["segment_index"] for r in rows] == [0, 0, 1, 1, 1]
    assert decoded.tables["track"].to_pylist()[0]["name"] == "Ride"
    assert decoded.tables["waypoint"].to_pylist()[0]["name"] == "Summit"
    assert decoded.tables["metadata"].to_pylist()[0]["name"] == "Morning ride"


def test_gpx_impossible_and_missing_values_are_nulled_and_counted():
    decoded = decode_bytes(GPX, "ride.gpx")
    rows = decoded.tables["record"].to_pylist()
    assert rows[2]["position_lat"] is None and rows[2]["position_long"] is None  # lat=123
    assert rows[3]["timestamp"] is None  # no <time>
    assert rows[4]["heart_rate"] is None  # HR 900
    assert decoded.nulled == {
        "position_out_of_range": 1,
        "heart_rate_out_of_range": 1,
        "timestamp_missing": 1,
    }


def test_points_without_time_stay_raw_with_null_time_and_make_the_file_partial():
    decoded = decode_bytes(GPX, "ride.gpx")
    times = decoded.tables["record"].column("timestamp").to_pylist()
    assert [t is None for t in times] == [False, False, False, True, False]  # NULL, no placeholder date
    assert decoded.status == "partial"
    assert decoded.reason == "1 of 5 track points without time (kept raw, not used as samples)"

    untimed_tcx = TCX.replace(b"<Time>2024-05-01T06:00:02Z</Time>", b"")
    decoded = decode_bytes(untimed_tcx, "two.tcx")
    assert decoded.tables["record"].column("timestamp").null_count == 1
    assert decoded.status == "partial" and decoded.reason.startswith("1 of 4 track points without time")


def test_fully_timed_tracks_are_imported():
    assert decode_bytes(TCX, "two.tcx").status == "imported"


def test_tcx_activities_laps_and_points():
    decoded = decode_bytes(TCX, "two.tcx")
    assert decoded.format == "tcx" and decoded.status == "imported"
    activities = decoded.tables["activity"].to_pylist()
    assert [a["sport"] for a in activities] == ["Running", "Biking"]
    assert activities[0]["creator_name"] == "Forerunner 265" and activities[0]["creator_version"] == "20.26"
    laps = decoded.tables["lap"].to_pylist()
    assert [(lap["activity_index"], lap["lap_index"]) for lap in laps] == [(0, 0), (1, 0), (1, 1)]
    assert laps[0]["avg_heart_rate"] == 121 and laps[0]["distance_m"] == 6.5
    rows = decoded.tables["record"].to_pylist()
    assert len(rows) == 4
    assert rows[0]["speed"] == 3.2 and rows[0]["cadence"] == 88 and rows[0]["heart_rate"] == 120
    assert rows[0]["position_lat"] == 46.5
    assert rows[2]["power"] == 250 and rows[2]["cadence"] == 90
    assert rows[3]["power"] is None  # 4 kW is not a human
    assert decoded.nulled == {"power_out_of_range": 1}


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_refused_with_a_clear_reason(payload):
    decoded = decode_bytes(payload, "evil.gpx")
    assert decoded.status == "quarantined"
    assert decoded.reason.startswith("refused: XML declares entity")
    assert "protection" in decoded.reason
    assert decoded.tables == {}


def test_malformed_xml_is_quarantined():
    decoded = decode_bytes(b"<gpx version='1.1'><trk><trkseg><trkpt lat='1'", "cut.gpx")
    assert decoded.status == "quarantined"
    assert decoded.reason.startswith("malformed XML")


def test_sniffing_uses_content_not_names():
    assert sniff(GPX) == "gpx"
    assert sniff(TCX) == "tcx"
    assert sniff(b"\xef\xbb\xbf  " + GPX) == "gpx"
    assert sniff(b"<html><body>gpx</body></html>") is None


def _tcx_lap(start: str, seconds: int, distance_m: float, points: list[tuple[str, float]]) -> str:
    trackpoints = "".join(
        f"<Trackpoint><Time>{t}</Time><DistanceMeters>{d}</DistanceMeters></Trackpoint>" for t, d in points
    )
    return (
        f'<Lap StartTime="{start}"><TotalTimeSeconds>{seconds}</TotalTimeSeconds>'
        f"<DistanceMeters>{distance_m}</DistanceMeters><Track>{trackpoints}</Track></Lap>"
    )


# A triathlon-like session the way Garmin Training Center writes it: legs under FirstSport / NextSport, a
# transition (a lap) before the second leg.
TCX_MULTISPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
  <Activities>
    <MultiSportSession>
      <Id>2024-06-01T07:00:00Z</Id>
      <FirstSport><Activity Sport="Running"><Id>2024-06-01T07:00:00Z</Id>
        {_tcx_lap("2024-06-01T07:00:00Z", 2, 6.0, [("2024-06-01T07:00:00Z", 0), ("2024-06-01T07:00:02Z", 6)])}
      </Activity></FirstSport>
      <NextSport>
        <Transition StartTime="2024-06-01T07:00:03Z"><TotalTimeSeconds>60</TotalTimeSeconds>
          <DistanceMeters>0</DistanceMeters><Track><Trackpoint><Time>2024-06-01T07:00:03Z</Time></Trackpoint>
          </Track></Transition>
        <Activity Sport="Biking"><Id>2024-06-01T07:01:03Z</Id>
          {_tcx_lap("2024-06-01T07:01:03Z", 2, 20.0, [("2024-06-01T07:01:03Z", 0), ("2024-06-01T07:01:05Z", 20)])}
        </Activity>
      </NextSport>
    </MultiSportSession>
  </Activities>
</TrainingCenterDatabase>""".encode()


def test_tcx_multisport_session_imports_each_leg_and_transition():
    decoded = decode_bytes(TCX_MULTISPORT, "triathlon.tcx")
    assert decoded.status == "imported", decoded.reason
    activities = decoded.tables["activity"].to_pylist()
    assert [(a["sport"], a["multisport_index"], a["leg_index"]) for a in activities] == [
        ("Running", 0, 0),
        ("Transition", 0, 1),
        ("Biking", 0, 2),
    ]
    assert activities[1]["start_time"].isoformat() == "2024-06-01T07:00:03+00:00"
    laps = decoded.tables["lap"].to_pylist()
    assert [(lap["activity_index"], lap["distance_m"]) for lap in laps] == [(0, 6.0), (1, 0.0), (2, 20.0)]
    records = decoded.tables["record"].to_pylist()
    assert [(r["activity_index"], r["distance"]) for r in records] == [
        (0, 0.0),
        (0, 6.0),
        (1, None),
        (2, 0.0),
        (2, 20.0),
    ]


def test_tcx_content_that_is_not_understood_makes_the_file_partial_with_the_reason():
    odd = TCX.replace(b"<Activities>", b"<Activities><Rowing><Id>2024-05-01T05:00:00Z</Id></Rowing>")
    decoded = decode_bytes(odd, "odd.tcx")
    assert decoded.status == "partial"
    assert decoded.reason == "not understood, not loaded: 1 <Rowing>"
    assert decoded.record_count == 4  # the activities it understands are loaded

    nothing = b"""<TrainingCenterDatabase><Activities><Rowing/></Activities></TrainingCenterDatabase>"""
    decoded = decode_bytes(nothing, "nothing.tcx")
    assert decoded.status == "quarantined"  # never imported (or partial) with nothing
    assert (
        decoded.reason == "no data decoded: not understood, not loaded: 1 <Rowing>; TCX holds no activities"
    )


def _timed_gpx(points: list[tuple[float, float]]) -> bytes:
    trkpts = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><time>2024-05-01T06:{i:02d}:00Z</time></trkpt>'
        for i, (lat, lon) in enumerate(points)
    )
    return f'<gpx version="1.1"><trk><trkseg>{trkpts}</trkseg></trk></gpx>'.encode()


def test_gpx_distance_is_derived_from_the_track_when_the_file_has_none():
    # three points 0.01 degrees of latitude apart: about 1.1 km each
    decoded = decode_bytes(_timed_gpx([(46.50, 15.5), (46.51, 15.5), (46.52, 15.5)]), "walk.gpx")
    distances = decoded.tables["record"].column("distance").to_pylist()
    assert distances[0] == 0.0
    assert distances[1] == pytest.approx(1111.95, abs=0.5)
    assert distances[2] == pytest.approx(2223.9, abs=1.0)
    track = decoded.tables["track"].to_pylist()[0]
    assert track["distance_derived"] is True and track["distance_m"] == distances[2]


def test_a_gpx_track_without_two_positions_has_no_distance():
    decoded = decode_bytes(_timed_gpx([(46.5, 15.5)]), "one.gpx")
    assert decoded.tables["record"].column("distance").to_pylist() == [None]
    assert decoded.tables["track"].to_pylist()[0]["distance_derived"] is False


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("TTF-8", "unreadable XML encoding: unknown encoding: TTF-8"),  # one flipped bit of UTF-8
        ("shift_jis", "unreadable XML encoding: multi-byte encodings are not supported"),
    ],
)
def test_an_xml_encoding_the_parser_cannot_read_is_quarantined_not_a_decoder_error(encoding, reason):
    # found by test_mutated_files: the LookupError escaped the decoder ("decoder error: LookupError")
    data = GPX.replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())
    decoded = decode_bytes(data, "odd.gpx")
    assert (decoded.status, decoded.reason) == ("quarantined", reason)


def test_tcx_track_elements_that_are_not_trackpoints_make_the_file_partial():
    odd = TCX.replace(
        b"<Track><Trackpoint><Time>2024-05-01T07:00:00Z",
        b"<Track><Waypoint><Time>2024-05-01T06:59:00Z</Time></Waypoint><Trackpoint><Time>2024-05-01T07:00:00Z",
    )
    decoded = decode_bytes(odd, "odd.tcx")
    assert (decoded.status, decoded.reason) == ("partial", "not understood, not loaded: 1 <Waypoint>")
    assert decoded.record_count == 4
