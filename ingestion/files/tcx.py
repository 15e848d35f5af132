"""TCX (Garmin Training Center XML) decoding: activities (several per file), laps, track points.

Tables: ``activity`` (activity_index, sport, id/start time, creator device, notes, and for the legs of a
multisport session ``multisport_index`` / ``leg_index``), ``lap`` (activity_index, lap_index, start time,
totals, HR, cadence, trigger), ``record`` (canonical columns plus ``activity_index`` / ``lap_index``;
``Extensions/TPX`` speed, watts, run cadence).

A ``MultiSportSession`` (a triathlon) is imported like a FIT multisport file: each leg (``FirstSport`` /
``NextSport`` activity) is an activity of its own, and a ``NextSport/Transition`` (a lap) is an activity with
sport ``Transition``, all sharing their ``multisport_index``. Content under ``<Activities>`` that is not
understood makes the file ``partial`` with the reason. Courses are reported as a warning, not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from xml.etree.ElementTree import Element

import pyarrow as pa

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
    child,
    children,
    local,
    parse_float,
    parse_time,
    parse_xml,
    text,
)

PARSER = "openfit-tcx"
PARSER_VERSION = f"1+defusedxml{version('defusedxml')}"

TRACK_COLUMNS = (
    "position_lat",
    "position_long",
    "altitude",
    "distance",
    "heart_rate",
    "cadence",
    "speed",
    "power",
)


def _value(element: Element | None, name: str) -> float | None:
    """<Name><Value>n</Value></Name> (heart rates) -> n."""
    if element is None:
        return None
    holder = child(element, name)
    return parse_float(text(holder, "Value")) if holder is not None else None


def decode_tcx(data: bytes) -> DecodedFile:
    try:
        root = parse_xml(data)
    except (UnsafeXmlError, BadXmlError) as exc:
        return quarantined("tcx", str(exc), PARSER, PARSER_VERSION)
    if local(root.tag) != "TrainingCenterDatabase":
        return quarantined(
            "tcx", f"not a TCX document (root element <{local(root.tag)}>)", PARSER, PARSER_VERSION
        )

    decoded = DecodedFile("tcx", "imported", None, PARSER, PARSER_VERSION)
    activities: list[dict] = []
    laps: list[dict] = []
    times: list = []
    columns: dict[str, list] = {name: [] for name in TRACK_COLUMNS}
    activity_index: list[int] = []
    lap_index: list[int] = []

    legs, not_understood = _legs(root)
    for a_index, leg in enumerate(legs):
        creator = child(leg.activity, "Creator") if leg.activity is not None else None
        version_el = child(creator, "Version") if creator is not None else None
        if leg.activity is not None:
            sport, id_text, notes = (
                leg.activity.get("Sport"),
                text(leg.activity, "Id"),
                text(leg.activity, "Notes"),
            )
        else:  # a transition is one lap: its start is the leg's start
            sport, id_text, notes = "Transition", leg.laps[0].get("StartTime"), None
        activities.append(
            {
                "activity_index": a_index,
                "sport": sport,
                "id": id_text,
                "start_time": parse_time(id_text),
                "notes": notes,
                "creator_name": text(creator, "Name"),
                "creator_unit_id": text(creator, "UnitId"),
                "creator_product_id": text(creator, "ProductID"),
                "creator_version": ".".join(
                    v for v in (text(version_el, "VersionMajor"), text(version_el, "VersionMinor")) if v
                )
                or None,
                "laps": len(leg.laps),
                "multisport_index": leg.multisport_index,
                "leg_index": leg.leg_index,
            }
        )
        for l_index, lap in enumerate(leg.laps):
            laps.append(
                {
                    "activity_index": a_index,
                    "lap_index": l_index,
                    "start_time": parse_time(lap.get("StartTime")),
                    "total_time_s": parse_float(text(lap, "TotalTimeSeconds")),
                    "distance_m": parse_float(text(lap, "DistanceMeters")),
                    "max_speed_m_s": parse_float(text(lap, "MaximumSpeed")),
                    "calories": parse_float(text(lap, "Calories")),
                    "avg_heart_rate": _value(lap, "AverageHeartRateBpm"),
                    "max_heart_rate": _value(lap, "MaximumHeartRateBpm"),
                    "intensity": text(lap, "Intensity"),
                    "cadence": parse_float(text(lap, "Cadence")),
                    "trigger_method": text(lap, "TriggerMethod"),
                    "notes": text(lap, "Notes"),
                }
            )
            for track in children(lap, "Track"):
                for other in track:  # a track holds only track points: anything else is points not read
                    if local(other.tag) != "Trackpoint":
                        not_understood[local(other.tag)] = not_understood.get(local(other.tag), 0) + 1
                for point in children(track, "Trackpoint"):
                    values = _trackpoint(point)
                    times.append(parse_time(text(point, "Time")))
                    for name, values_list in columns.items():
                        values_list.append(values.get(name))
                    activity_index.append(a_index)
                    lap_index.append(l_index)

    table = record_table_from_lists(times, columns, decoded.nulled)
    table = table.append_column("activity_index", pa.array(activity_index, type=pa.int32()))
    decoded.tables["record"] = table.append_column("lap_index", pa.array(lap_index, type=pa.int32()))
    if activities:
        decoded.tables["activity"] = table_from_rows(activities)
    if laps:
        decoded.tables["lap"] = table_from_rows(laps)
    if any(children(holder, "Course") for holder in children(root, "Courses")):
        decoded.warnings.append("TCX courses (planned routes) are not loaded")
    if not activities:
        decoded.warnings.append("TCX holds no activities")
    if not_understood:
        decoded.status = "partial"
        decoded.reason = "not understood, not loaded: " + ", ".join(
            f"{count} <{name}>" for name, count in sorted(not_understood.items())
        )
    flag_untimed_points(decoded)
    return decoded


@dataclass
class _Leg:
    """One recording of a TCX file: an ``Activity`` (its laps), or a multisport transition (one lap)."""

    activity: Element | None
    laps: list[Element]
    multisport_index: int | None = None
    leg_index: int | None = None


def _legs(root: Element) -> tuple[list[_Leg], dict[str, int]]:
    """The recordings under ``<Activities>`` in file order, and the elements there this decoder does not
    understand (name -> count), which the caller reports instead of silently dropping."""
    legs: list[_Leg] = []
    not_understood: dict[str, int] = {}

    def unknown(element: Element) -> None:
        name = local(element.tag)
        not_understood[name] = not_understood.get(name, 0) + 1

    multisport_index = 0
    for holder in children(root, "Activities"):
        for element in holder:
            name = local(element.tag)
            if name == "Activity":
                legs.append(_Leg(element, children(element, "Lap")))
            elif name == "MultiSportSession":
                leg_index = 0
                for part in element:
                    part_name = local(part.tag)
                    if part_name in ("Id", "Notes"):
                        continue
                    if part_name not in ("FirstSport", "NextSport"):
                        unknown(part)
                        continue
                    for piece in part:
                        piece_name = local(piece.tag)
                        if piece_name == "Activity":
                            leg = _Leg(piece, children(piece, "Lap"), multisport_index, leg_index)
                        elif piece_name == "Transition":
                            leg = _Leg(None, [piece], multisport_index, leg_index)
                        else:
                            unknown(piece)
                            continue
                        legs.append(leg)
                        leg_index += 1
                multisport_index += 1
            elif isinstance(element.tag, str):  # comments and processing instructions are not content
                unknown(element)
    return legs, not_understood


def _trackpoint(point: Element) -> dict[str, float | None]:
    position = child(point, "Position")
    values: dict[str, float | None] = {
        "position_lat": parse_float(text(position, "LatitudeDegrees")) if position is not None else None,
        "position_long": parse_float(text(position, "LongitudeDegrees")) if position is not None else None,
        "altitude": parse_float(text(point, "AltitudeMeters")),
        "distance": parse_float(text(point, "DistanceMeters")),
        "heart_rate": _value(point, "HeartRateBpm"),
        "cadence": parse_float(text(point, "Cadence")),
    }
    extensions = child(point, "Extensions")
    if extensions is not None:
        for element in extensions.iter():
            name = local(element.tag)
            if name == "Speed":
                values["speed"] = parse_float(text(element))
            elif name == "Watts":
                values["power"] = parse_float(text(element))
            elif name == "RunCadence" and values.get("cadence") is None:
                values["cadence"] = parse_float(text(element))
    return values
