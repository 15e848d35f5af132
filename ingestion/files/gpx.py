"""GPX 1.0/1.1 decoding: tracks, segments and points with the common extensions, via hardened XML parsing.

Tables: ``record`` (track points, canonical columns plus ``track_index`` / ``segment_index``), ``track``
(name, type, point count), ``waypoint`` and ``route_point`` (planned points, kept apart from recordings),
``metadata`` (creator, version, name, time).

Extensions read wherever they sit under ``<extensions>`` (namespace-agnostic): Garmin TrackPointExtension
``hr``, ``cad``, ``atemp`` (and ``wtemp``, ``speed``), power as ``power`` or ``PowerInWatts``; GPX 1.0's
``<speed>`` element too.

Distance: GPX carries none, so ``record.distance`` is derived here, per track, from its points (cumulative
haversine along them, not across a break between ``trkseg`` segments: ``analytics.track_distance_m``); the
``track`` table says so (``distance_derived``, ``distance_m``). A track without two positioned points has
no distance (NULL).
"""

from __future__ import annotations

from importlib.metadata import version
from xml.etree.ElementTree import Element

import numpy as np
import pyarrow as pa

from analytics.geo import track_distance_m
from ingestion.files.model import (
    DecodedFile,
    flag_untimed_points,
    quarantined,
    record_table_from_lists,
    table_from_rows,
)
from ingestion.files.safexml import (
    BadXmlError,
    UnsafeXmlError,
    children,
    local,
    parse_float,
    parse_time,
    parse_xml,
    text,
)

PARSER = "openfit-gpx"
PARSER_VERSION = f"1+defusedxml{version('defusedxml')}"

# extension element (local name) -> canonical record column
EXTENSION_FIELDS = {
    "hr": "heart_rate",
    "heartrate": "heart_rate",
    "cad": "cadence",
    "cadence": "cadence",
    "atemp": "temperature",
    "temp": "temperature",
    "power": "power",
    "PowerInWatts": "power",
    "watts": "power",
    "speed": "speed",
    "wtemp": "water_temperature",
    "course": "course",
}
TRACK_COLUMNS = ("position_lat", "position_long", "altitude", "heart_rate", "cadence", "temperature", "power")


def decode_gpx(data: bytes) -> DecodedFile:
    try:
        root = parse_xml(data)
    except (UnsafeXmlError, BadXmlError) as exc:
        return quarantined("gpx", str(exc), PARSER, PARSER_VERSION)
    if local(root.tag) != "gpx":
        return quarantined(
            "gpx", f"not a GPX document (root element <{local(root.tag)}>)", PARSER, PARSER_VERSION
        )

    decoded = DecodedFile("gpx", "imported", None, PARSER, PARSER_VERSION)
    times: list = []
    columns: dict[str, list] = {name: [] for name in (*TRACK_COLUMNS, "speed", "water_temperature", "course")}
    track_index: list[int] = []
    segment_index: list[int] = []
    tracks: list[dict] = []
    for t_index, track in enumerate(children(root, "trk")):
        points = 0
        for s_index, segment in enumerate(children(track, "trkseg")):
            for point in children(segment, "trkpt"):
                values = _point_values(point, decoded)
                times.append(parse_time(text(point, "time")))
                for name, values_list in columns.items():
                    values_list.append(values.get(name))
                track_index.append(t_index)
                segment_index.append(s_index)
                points += 1
        tracks.append(
            {
                "track_index": t_index,
                "name": text(track, "name"),
                "type": text(track, "type"),
                "description": text(track, "desc"),
                "points": points,
            }
        )

    columns = {k: v for k, v in columns.items() if k in TRACK_COLUMNS or any(x is not None for x in v)}
    table = record_table_from_lists(times, columns, decoded.nulled)
    table, track_distances = _with_derived_distance(table, track_index, segment_index)
    for track in tracks:
        total = track_distances.get(track["track_index"])
        track["distance_m"] = total
        track["distance_derived"] = total is not None
    table = table.append_column("track_index", pa.array(track_index, type=pa.int32()))
    decoded.tables["record"] = table.append_column("segment_index", pa.array(segment_index, type=pa.int32()))
    if tracks:
        decoded.tables["track"] = table_from_rows(tracks)
    waypoints = [_plain_point(p, decoded) for p in children(root, "wpt")]
    if waypoints:
        decoded.tables["waypoint"] = table_from_rows(waypoints)
    route_points = [
        {"route_index": r_index, "route_name": text(route, "name"), **_plain_point(p, decoded)}
        for r_index, route in enumerate(children(root, "rte"))
        for p in children(route, "rtept")
    ]
    if route_points:
        decoded.tables["route_point"] = table_from_rows(route_points)
    metadata = _metadata(root)
    decoded.tables["metadata"] = table_from_rows([metadata])
    if not times and not waypoints and not route_points:
        decoded.warnings.append("GPX holds no track points, waypoints or routes")
    flag_untimed_points(decoded)
    return decoded


def _with_derived_distance(
    table: pa.Table, track_index: list[int], segment_index: list[int]
) -> tuple[pa.Table, dict[int, float]]:
    """Fill ``distance`` (metres since the track's first point) from the positions, track by track, after
    impossible positions were nulled; returns the table and each measured track's total distance.
    A file that carries distances of its own keeps them."""
    if table.column("distance").null_count < table.num_rows:
        return table, {}
    lat = table.column("position_lat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = table.column("position_long").to_numpy(zero_copy_only=False).astype(np.float64)
    tracks = np.asarray(track_index, dtype=np.int64)
    segments = np.asarray(segment_index, dtype=np.int64)
    distance = np.full(len(tracks), np.nan)
    totals: dict[int, float] = {}
    for track in np.unique(tracks):
        rows = np.flatnonzero(tracks == track)
        positioned = ~(np.isnan(lat[rows]) | np.isnan(lon[rows]))
        if positioned.sum() < 2:  # no path to measure
            continue
        along = track_distance_m(lat[rows], lon[rows], segments[rows])
        distance[rows] = along
        totals[int(track)] = float(along[-1])
    column = pa.array(distance, mask=np.isnan(distance))
    return table.set_column(table.schema.get_field_index("distance"), "distance", column), totals


def _coordinate(point: Element, name: str, decoded: DecodedFile) -> float | None:
    raw = point.get(name)
    value = parse_float(raw)
    if raw is not None and value is None:
        decoded.nulled["position_unparsable"] = decoded.nulled.get("position_unparsable", 0) + 1
    return value


def _point_values(point: Element, decoded: DecodedFile) -> dict[str, float | None]:
    values: dict[str, float | None] = {
        "position_lat": _coordinate(point, "lat", decoded),
        "position_long": _coordinate(point, "lon", decoded),
        "altitude": parse_float(text(point, "ele")),
    }
    speed = parse_float(text(point, "speed"))  # GPX 1.0
    if speed is not None:
        values["speed"] = speed
    for extensions in children(point, "extensions"):
        for element in extensions.iter():
            column = EXTENSION_FIELDS.get(local(element.tag))
            if column and element.text and values.get(column) is None:
                values[column] = parse_float(element.text.strip())
    return values


def _plain_point(point: Element, decoded: DecodedFile) -> dict:
    return {
        "name": text(point, "name"),
        "position_lat": _coordinate(point, "lat", decoded),
        "position_long": _coordinate(point, "lon", decoded),
        "altitude": parse_float(text(point, "ele")),
        "time": parse_time(text(point, "time")),
        "description": text(point, "desc"),
        "type": text(point, "type"),
    }


def _metadata(root: Element) -> dict:
    meta = None
    for sub in root:
        if local(sub.tag) == "metadata":
            meta = sub
    return {
        "version": root.get("version"),
        "creator": root.get("creator"),
        "name": text(meta, "name") if meta is not None else text(root, "name"),
        "time": parse_time(text(meta, "time") if meta is not None else text(root, "time")),
    }
