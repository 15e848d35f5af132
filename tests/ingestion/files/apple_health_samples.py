"""Realistic Apple Health exports for the tests and the benchmark, in the layout the Health app writes.

Layout (``export.zip``): ``apple_health_export/export.xml`` (a DTD, ``ExportDate``, ``Me``, then ``Record``,
``Correlation``, ``Workout`` and ``ActivitySummary`` elements), ``apple_health_export/export_cda.xml`` (the
clinical document, root ``ClinicalDocument``: not ours to read) and
``apple_health_export/workout-routes/route_<date>.gpx``.

What a day holds, as an iPhone plus an Apple Watch record it: the same walks counted by both devices (steps and
distance), heart rate every 5 minutes with its motion context, active energy, resting heart rate, one HRV SDNN
reading with its beat-to-beat list, a night of sleep (the phone's InBed, the watch's Core/Deep/REM/Awake
stages with ``HKTimeZone``), a weigh-in every third day typed into the Health app, a blood-pressure correlation
every seventh day (its records repeated at the top level, as Apple does), a run every second day (events,
statistics, metadata, route reference) and the day's activity rings.

Every day's content depends only on (seed, day), so a later export of the same account repeats the earlier
days exactly, except for the things that really change between exports: the HKDevice memory addresses, the
export date and what the user edited (``edited_weights``). Dates carry the account's UTC offset.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import quoteattr

EXPORT_DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent (MetadataEntry?)>
<!ATTLIST WorkoutEvent
  type                 CDATA #REQUIRED
  date                 CDATA #REQUIRED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #REQUIRED
  average              CDATA #IMPLIED
  minimum              CDATA #IMPLIED
  maximum              CDATA #IMPLIED
  sum                  CDATA #IMPLIED
  unit                 CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleMoveTime            CDATA #IMPLIED
  appleMoveTimeGoal        CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute
  bpm  CDATA #REQUIRED
  time CDATA #REQUIRED
>
]>
"""

WATCH_SOURCE = "Ada\u2019s Apple Watch"
PHONE_SOURCE = "Ada\u2019s iPhone"
WATCH = "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.2"
PHONE = "name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,2, software:17.2.1"
SLEEP_STAGES = (
    "HKCategoryValueSleepAnalysisAsleepCore",
    "HKCategoryValueSleepAnalysisAsleepDeep",
    "HKCategoryValueSleepAnalysisAsleepCore",
    "HKCategoryValueSleepAnalysisAsleepREM",
    "HKCategoryValueSleepAnalysisAwake",
)


@dataclass
class ExportSpec:
    """One account's export: `days` days from `first_day`, local time at `utc_offset_min`."""

    first_day: date = date(2024, 3, 4)
    days: int = 7
    seed: int = 16
    utc_offset_min: int = 120
    time_zone: str = "Europe/Amsterdam"
    export_seed: int = 1  # differs between two exports of one account: device addresses, export date
    edited_weights: dict[date, float] = field(default_factory=dict)  # weigh-ins the user corrected
    target_bytes: int | None = None  # keep adding days until export.xml is at least this large


@dataclass
class WrittenExport:
    days: int
    records: int  # top-level records
    workouts: int
    bytes: int
    routes: list[str]
    # route path -> (start, end) of its workout (UTC): the route's GPX track points span it, as the Watch's do
    route_spans: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)


class _Out:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        if len(self.parts) >= 4096:
            self.flush()

    def flush(self) -> None:
        data = "".join(self.parts).encode("utf-8")
        self.parts = []
        self.size += len(data)
        self.out.write(data)


class _Account:
    """Writes one export; per-day content comes from random.Random((seed, day))."""

    def __init__(self, spec: ExportSpec, out: _Out) -> None:
        self.spec = spec
        self.out = out
        self.tz = timezone(timedelta(minutes=spec.utc_offset_min))
        sign = "+" if spec.utc_offset_min >= 0 else "-"
        hours, minutes = divmod(abs(spec.utc_offset_min), 60)
        self.offset_text = f"{sign}{hours:02d}{minutes:02d}"
        self.addresses = random.Random(spec.export_seed * 7919)
        self.records = 0
        self.workouts = 0
        self.routes: list[str] = []
        self.route_spans: dict[str, tuple[datetime, datetime]] = {}

    def stamp(self, moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S ") + self.offset_text

    def device(self, fields: str) -> str:
        # The memory address changes from record to record and export to export, as in real exports.
        return quoteattr(f"<<HKDevice: 0x{self.addresses.randrange(0x300000000, 0x3FFFFFFFF):x}>, {fields}>")

    def record(
        self,
        kind: str,
        source: str,
        version: str,
        device: str | None,
        unit: str | None,
        value: str,
        start: datetime,
        end: datetime,
        metadata: dict[str, str] | None = None,
        inner: str = "",
        indent: str = " ",
    ) -> str:
        attributes = (
            f"type={quoteattr(kind)} sourceName={quoteattr(source)} sourceVersion={quoteattr(version)}"
        )
        if device is not None:
            attributes += f" device={self.device(device)}"
        if unit is not None:
            attributes += f" unit={quoteattr(unit)}"
        created = end + timedelta(seconds=37)
        attributes += (
            f' creationDate="{self.stamp(created)}" startDate="{self.stamp(start)}" endDate="{self.stamp(end)}"'
            f" value={quoteattr(value)}"
        )
        children = "".join(
            f"{indent} <MetadataEntry key={quoteattr(k)} value={quoteattr(v)}/>\n"
            for k, v in (metadata or {}).items()
        )
        children += inner
        if children:
            return f"{indent}<Record {attributes}>\n{children}{indent}</Record>\n"
        return f"{indent}<Record {attributes}/>\n"

    # ----------------------------------------------------------------------------------------------- day

    def day(self, index: int) -> None:
        spec = self.spec
        rng = random.Random(spec.seed * 1_000_003 + index)
        day = spec.first_day + timedelta(days=index)
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        write = self.out.write

        self.sleep(rng, midnight)
        for hour in range(7, 22):  # walks, counted by the phone in the pocket and the watch on the wrist
            start = midnight + timedelta(hours=hour, minutes=rng.randrange(0, 40))
            end = start + timedelta(minutes=rng.randrange(6, 18))
            steps = rng.randrange(300, 1500)
            distance_km = steps * 0.00072
            for source, version, device, factor in (
                (PHONE_SOURCE, "17.2.1", PHONE, 1.0),
                (WATCH_SOURCE, "10.2", WATCH, 0.97),
            ):
                write(
                    self.record(
                        "HKQuantityTypeIdentifierStepCount",
                        source,
                        version,
                        device,
                        "count",
                        str(round(steps * factor)),
                        start,
                        end,
                    )
                )
                write(
                    self.record(
                        "HKQuantityTypeIdentifierDistanceWalkingRunning",
                        source,
                        version,
                        device,
                        "km",
                        f"{distance_km * factor:.5f}",
                        start,
                        end,
                    )
                )
                self.records += 2
        for minute in range(0, 24 * 60, 5):
            at = midnight + timedelta(minutes=minute, seconds=rng.randrange(0, 50))
            bpm = 52 + rng.randrange(0, 9) if minute < 7 * 60 else 64 + rng.randrange(0, 30)
            write(
                self.record(
                    "HKQuantityTypeIdentifierHeartRate",
                    WATCH_SOURCE,
                    "10.2",
                    WATCH,
                    "count/min",
                    str(bpm),
                    at,
                    at,
                    {"HKMetadataKeyHeartRateMotionContext": str(rng.randrange(0, 2))},
                )
            )
            self.records += 1
        for quarter in range(0, 24 * 4):
            start = midnight + timedelta(minutes=15 * quarter)
            write(
                self.record(
                    "HKQuantityTypeIdentifierActiveEnergyBurned",
                    WATCH_SOURCE,
                    "10.2",
                    WATCH,
                    "kcal",
                    f"{rng.uniform(0.5, 12.0):.3f}",
                    start,
                    start + timedelta(minutes=15),
                )
            )
            self.records += 1
        rest_at = midnight + timedelta(hours=23, minutes=50)
        write(
            self.record(
                "HKQuantityTypeIdentifierRestingHeartRate",
                WATCH_SOURCE,
                "10.2",
                None,
                "count/min",
                str(50 + rng.randrange(0, 8)),
                midnight,
                rest_at,
            )
        )
        hrv_at = midnight + timedelta(hours=3, minutes=rng.randrange(0, 50))
        beats = "".join(
            f'   <InstantaneousBeatsPerMinute bpm="{55 + rng.randrange(0, 10)}" '
            f'time="{(hrv_at + timedelta(seconds=s)).strftime("%-I:%M:%S.%f")[:-4]} AM"/>\n'
            for s in range(0, 50, 1)
        )
        write(
            self.record(
                "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
                WATCH_SOURCE,
                "10.2",
                WATCH,
                "ms",
                f"{rng.uniform(25, 85):.4f}",
                hrv_at,
                hrv_at + timedelta(seconds=58),
                inner=f"  <HeartRateVariabilityMetadataList>\n{beats}  </HeartRateVariabilityMetadataList>\n",
            )
        )
        self.records += 2
        if index % 3 == 0:
            weigh_at = midnight + timedelta(hours=7, minutes=12)
            weight = spec.edited_weights.get(day, round(71.0 + rng.uniform(-0.8, 0.8), 1))
            write(
                self.record(
                    "HKQuantityTypeIdentifierBodyMass",
                    "Health",
                    "17.2.1",
                    None,
                    "kg",
                    str(weight),
                    weigh_at,
                    weigh_at,
                    {"HKWasUserEntered": "1"},
                )
            )
            self.records += 1
        if index % 7 == 0:
            self.blood_pressure(rng, midnight + timedelta(hours=8, minutes=30))
        if index % 2 == 0:
            self.workout(rng, midnight + timedelta(hours=18, minutes=rng.randrange(0, 30)))
        write(
            f' <ActivitySummary dateComponents="{day.isoformat()}" activeEnergyBurned="{rng.uniform(300, 800):.3f}"'
            ' activeEnergyBurnedGoal="500" activeEnergyBurnedUnit="Cal" appleMoveTime="0" appleMoveTimeGoal="0"'
            f' appleExerciseTime="{rng.randrange(10, 80)}" appleExerciseTimeGoal="30"'
            f' appleStandHours="{rng.randrange(6, 14)}" appleStandHoursGoal="12"/>\n'
        )

    def sleep(self, rng: random.Random, midnight: datetime) -> None:
        """The night that ends this morning: the phone's InBed and the watch's stages."""
        bed = midnight - timedelta(minutes=60 + rng.randrange(0, 40))
        wake = midnight + timedelta(hours=6, minutes=30 + rng.randrange(0, 40))
        zone = {"HKTimeZone": self.spec.time_zone}
        self.out.write(
            self.record(
                "HKCategoryTypeIdentifierSleepAnalysis",
                PHONE_SOURCE,
                "17.2.1",
                None,
                None,
                "HKCategoryValueSleepAnalysisInBed",
                bed,
                wake,
                zone,
            )
        )
        self.records += 1
        at = bed + timedelta(minutes=8)
        stage = 0
        while at < wake - timedelta(minutes=10):
            end = min(at + timedelta(minutes=rng.randrange(10, 45)), wake)
            self.out.write(
                self.record(
                    "HKCategoryTypeIdentifierSleepAnalysis",
                    WATCH_SOURCE,
                    "10.2",
                    None,
                    None,
                    SLEEP_STAGES[stage % len(SLEEP_STAGES)],
                    at,
                    end,
                    zone,
                )
            )
            self.records += 1
            at = end
            stage += 1

    def blood_pressure(self, rng: random.Random, at: datetime) -> None:
        systolic = self.record(
            "HKQuantityTypeIdentifierBloodPressureSystolic",
            "Health",
            "17.2.1",
            None,
            "mmHg",
            str(115 + rng.randrange(0, 12)),
            at,
            at,
        )
        diastolic = self.record(
            "HKQuantityTypeIdentifierBloodPressureDiastolic",
            "Health",
            "17.2.1",
            None,
            "mmHg",
            str(72 + rng.randrange(0, 8)),
            at,
            at,
        )
        self.out.write(systolic + diastolic)
        self.records += 2
        stamp = self.stamp(at)
        self.out.write(
            f' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Health"'
            f' sourceVersion="17.2.1" creationDate="{stamp}" startDate="{stamp}" endDate="{stamp}">\n'
            f'  <MetadataEntry key="HKWasUserEntered" value="1"/>\n'
            + systolic.replace(" <", "  <", 1)
            + diastolic.replace(" <", "  <", 1)
            + " </Correlation>\n"
        )

    def workout(self, rng: random.Random, start: datetime) -> None:
        minutes = 30 + rng.randrange(0, 30)
        end = start + timedelta(minutes=minutes, seconds=rng.randrange(0, 60))
        distance = round(minutes / 5.6, 4)
        energy = round(minutes * 10.5, 3)
        pause = start + timedelta(minutes=minutes // 2)
        route = f"/workout-routes/route_{start.strftime('%Y-%m-%d_%-I.%M%p').lower()}.gpx"
        self.routes.append(route)
        self.route_spans[route] = (start.astimezone(UTC), end.astimezone(UTC))
        s, e = self.stamp(start), self.stamp(end)
        self.out.write(
            f' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="{(end - start).seconds / 60:.4f}"'
            f' durationUnit="min" totalDistance="{distance}" totalDistanceUnit="km" totalEnergyBurned="{energy}"'
            f' totalEnergyBurnedUnit="kcal" sourceName={quoteattr(WATCH_SOURCE)} sourceVersion="10.2"'
            f' device={self.device(WATCH)} creationDate="{self.stamp(end + timedelta(seconds=5))}"'
            f' startDate="{s}" endDate="{e}">\n'
            '  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n'
            f'  <MetadataEntry key="HKTimeZone" value={quoteattr(self.spec.time_zone)}/>\n'
            '  <MetadataEntry key="HKAverageMETs" value="9.8 kcal/hr·kg"/>\n'
            f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{s}" duration="{minutes / 2:.4f}" durationUnit="min"/>\n'
            f'  <WorkoutEvent type="HKWorkoutEventTypePause" date="{self.stamp(pause)}"/>\n'
            f'  <WorkoutEvent type="HKWorkoutEventTypeResume" date="{self.stamp(pause + timedelta(seconds=40))}"/>\n'
            f'  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="{s}" endDate="{e}"'
            f' average="{150 + rng.randrange(0, 12)}" minimum="112" maximum="{172 + rng.randrange(0, 10)}" unit="count/min"/>\n'
            f'  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="{s}" endDate="{e}"'
            f' sum="{energy}" unit="kcal"/>\n'
            f'  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="{s}"'
            f' endDate="{e}" sum="{distance}" unit="km"/>\n'
            f'  <WorkoutRoute sourceName={quoteattr(WATCH_SOURCE)} sourceVersion="10.2"'
            f' creationDate="{e}" startDate="{s}" endDate="{e}">\n'
            f'   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>\n'
            f'   <FileReference path="{route}"/>\n'
            "  </WorkoutRoute>\n"
            " </Workout>\n"
        )
        self.workouts += 1


def write_export_xml(out: BinaryIO, spec: ExportSpec | None = None) -> WrittenExport:
    """Write export.xml to `out`; streams (a few MB buffered), so any size can be written."""
    spec = spec or ExportSpec()
    writer = _Out(out)
    account = _Account(spec, writer)
    last_day = spec.first_day + timedelta(days=spec.days - 1)
    exported = datetime(
        last_day.year, last_day.month, last_day.day, 21, 4, spec.export_seed % 60, tzinfo=account.tz
    )
    writer.write('<?xml version="1.0" encoding="UTF-8"?>\n' + EXPORT_DTD)
    writer.write(
        '<HealthData locale="en_NL">\n'
        f' <ExportDate value="{account.stamp(exported)}"/>\n'
        ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-05-20" HKCharacteristicTypeIdentifierBiologicalSex='
        '"HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet"'
        ' HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"'
        ' HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n'
    )
    days = 0
    while days < spec.days or (spec.target_bytes is not None and writer.size + 64 * 1024 < spec.target_bytes):
        account.day(days)
        days += 1
        writer.flush()
    writer.write("</HealthData>\n")
    writer.flush()
    return WrittenExport(
        days, account.records, account.workouts, writer.size, account.routes, account.route_spans
    )


def export_xml_bytes(spec: ExportSpec | None = None) -> bytes:
    buffer = io.BytesIO()
    write_export_xml(buffer, spec)
    return buffer.getvalue()


def _route_gpx(path: str, span: tuple[datetime, datetime] | None = None) -> bytes:
    """The route's GPX: UTC track points every 10 s over its workout (its name carries the local start time)."""
    name = path.rsplit("/", 1)[-1]
    stamp = name.removeprefix("route_").removesuffix(".gpx")
    when, until = span or (datetime.strptime(stamp, "%Y-%m-%d_%I.%M%p").replace(tzinfo=UTC), None)
    count = int((until - when).total_seconds() // 10) + 1 if until else 12
    points = "".join(
        f'<trkpt lon="{4.89 + i * 0.0004:.6f}" lat="{52.37 + i * 0.0003:.6f}"><ele>2.1</ele>'
        f"<time>{(when + timedelta(seconds=10 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Apple Health Export" '
        'xmlns="http://www.topografix.com/GPX/1/1"><metadata><time>'
        f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')}</time></metadata><trk><name>Route {stamp}</name><trkseg>"
        f"{points}</trkseg></trk></gpx>\n"
    ).encode()


def write_export_zip(
    path: str | Path, spec: ExportSpec | None = None, truncate_xml_at: int | None = None
) -> WrittenExport:
    """export.zip as the Health app shares it. `truncate_xml_at`: cut export.xml after that many bytes (a
    damaged export)."""
    xml = io.BytesIO()
    written = write_export_xml(xml, spec)
    data = xml.getvalue()
    if truncate_xml_at is not None:
        data = data[:truncate_xml_at]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apple_health_export/export.xml", data)
        archive.writestr(
            "apple_health_export/export_cda.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"></ClinicalDocument>\n',
        )
        for route in written.routes:
            archive.writestr("apple_health_export" + route, _route_gpx(route, written.route_spans.get(route)))
    return written


def days_of(spec: ExportSpec) -> Iterator[date]:
    return (spec.first_day + timedelta(days=i) for i in range(spec.days))
