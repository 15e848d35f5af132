"""Realistic Google Takeout Fitbit exports for the tests, in the layout Takeout writes.

Layout (a folder or ``takeout-<date>-001.zip``)::

    Takeout/archive_browser.html                                  (Takeout's index: not ours)
    Takeout/Fitbit/Global Export Data/heart_rate-YYYY-MM-DD.json   one per day
    Takeout/Fitbit/Global Export Data/{steps,calories,distance,resting_heart_rate,sleep,weight}-YYYY-MM-DD.json
                                                                  one per 30-day period, named by its first day
    Takeout/Fitbit/Global Export Data/exercise-0.json             exercises, 100 per file
    Takeout/Fitbit/Global Export Data/swim_lengths_data-....json   (a kind we do not read)
    Takeout/Fitbit/Heart Rate Variability/Daily Heart Rate Variability Summary - YYYY-MM-(DD).csv
    Takeout/Fitbit/Heart Rate Variability/Heart Rate Variability Details - YYYY-MM-DD.csv
    Takeout/Fitbit/Oxygen Saturation (SpO2)/Daily SpO2 - YYYY-MM-DD-YYYY-MM-DD.csv
    Takeout/Fitbit/Oxygen Saturation (SpO2)/Minute SpO2 - YYYY-MM-DD.csv
    Takeout/Fitbit/Temperature/Computed Temperature - YYYY-MM-DD.csv
    Takeout/Fitbit/Temperature/Device Temperature - YYYY-MM-DD.csv
    Takeout/Fitbit/Your Profile/Profile.csv
    Takeout/Fitbit/Exercise TCX/<logId>.tcx                       a GPS run's TCX (where Takeout puts them is
                                                                  not documented here: any .tcx is imported)

The JSON is written as Fitbit writes it (``"key" : value`` spacing, objects joined by ``},{``), times are
local wall times (``MM/DD/YY HH:MM:SS``), the sleep logs have the Web API 1.2 shape with stages.

Every day's content depends only on (seed, day), so a later, cumulative Takeout repeats the earlier days'
files byte for byte, except the files of the period that was still running (its 30-day files grow) and what
the user edited (``edited_weights``).
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = "Takeout/Fitbit"
GLOBAL = f"{ROOT}/Global Export Data"
PERIOD_DAYS = 30


@dataclass(frozen=True)
class TakeoutSpec:
    start: date = date(2024, 3, 4)
    days: int = 3
    seed: int = 7
    timezone: str = "Europe/Berlin"
    hr_step_s: int = 60  # Fitbit samples every 1-15 s; a minute keeps the tests fast
    tracker: str = "Charge 6"
    utc_offset_h: int = 1  # the time zone's offset on the export's days (Berlin in March: +1), for the TCX
    tcx_for_runs: bool = True  # a GPS run's TCX beside the exercises (Fitbit's "Export as TCX")
    edited_weights: dict[date, float] = field(default_factory=dict)  # day -> kg


@dataclass
class WrittenTakeout:
    """What the writer put in, for the tests' expectations."""

    files: dict[str, bytes] = field(default_factory=dict)  # path -> content
    heart_rate_rows: int = 0
    steps_by_day: dict[date, int] = field(default_factory=dict)
    resting_hr_by_day: dict[date, float] = field(default_factory=dict)
    rmssd_by_day: dict[date, float] = field(default_factory=dict)
    sleep_logs: int = 0
    sleep_stage_rows: int = 0
    exercises: int = 0
    weights: int = 0


def fitbit_json(items: list[dict]) -> bytes:
    """JSON in Fitbit's own spacing: ``[{\\n  "dateTime" : "...",\\n  "value" : {...}\\n},{...}]``."""
    parts = []
    for item in items:
        text = json.dumps(item, indent=2, separators=(",", " : "))
        parts.append(text)
    return ("[" + ",".join(parts) + "]").encode()


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _us(moment: datetime) -> str:
    return moment.strftime("%m/%d/%y %H:%M:%S")


def _iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000")


def _day_random(spec: TakeoutSpec, day: date, what: str) -> random.Random:
    return random.Random(f"{spec.seed}:{day.isoformat()}:{what}")


def _sleep_log(spec: TakeoutSpec, day: date, log_id: int) -> tuple[dict, int]:
    """A night ending on `day` (dateOfSleep), in 30 s stage epochs grouped into runs, as the Web API 1.2 has it."""
    rng = _day_random(spec, day, "sleep")
    start = datetime.combine(day - timedelta(days=1), datetime.min.time()) + timedelta(
        hours=22, minutes=rng.randint(30, 90)
    )
    data, moment = [], start
    levels = [
        "wake",
        "light",
        "deep",
        "light",
        "rem",
        "light",
        "deep",
        "light",
        "rem",
        "wake",
        "light",
        "rem",
    ]
    for level in levels:
        seconds = 30 * rng.randint(4 if level == "wake" else 20, 10 if level == "wake" else 90)
        data.append({"dateTime": _iso_ms(moment), "level": level, "seconds": seconds})
        moment += timedelta(seconds=seconds)
    end = moment
    short = [{"dateTime": _iso_ms(start + timedelta(minutes=95)), "level": "wake", "seconds": 60}]
    summary: dict[str, dict[str, int]] = {}
    for entry in data:
        part = summary.setdefault(entry["level"], {"count": 0, "minutes": 0, "thirtyDayAvgMinutes": 0})
        part["count"] += 1
        part["minutes"] += entry["seconds"] // 60
    asleep = sum(e["seconds"] for e in data if e["level"] != "wake") // 60
    in_bed = int((end - start).total_seconds() // 60)
    log = {
        "logId": log_id,
        "dateOfSleep": day.isoformat(),
        "startTime": _iso_ms(start),
        "endTime": _iso_ms(end),
        "duration": in_bed * 60_000,
        "minutesToFallAsleep": 0,
        "minutesAsleep": asleep,
        "minutesAwake": in_bed - asleep,
        "minutesAfterWakeup": 0,
        "timeInBed": in_bed,
        "efficiency": round(100 * asleep / in_bed),
        "type": "stages",
        "infoCode": 0,
        "logType": "auto_detected",
        "levels": {"summary": summary, "data": data, "shortData": short},
        "mainSleep": True,
    }
    return log, len(data) + len(short)


def run_tcx(utc_start: datetime, seconds: int, metres: float, rng: random.Random) -> bytes:
    """A GPS run as Fitbit's TCX export writes it: one lap, a trackpoint a minute (Fitbit writes one a second)."""
    points = []
    for second in range(0, seconds + 1, 60):
        moment = (utc_start + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        points.append(
            f"<Trackpoint><Time>{moment}</Time><Position><LatitudeDegrees>{52.52 + second * 1e-5:.6f}"
            f"</LatitudeDegrees><LongitudeDegrees>13.405</LongitudeDegrees></Position>"
            f"<AltitudeMeters>34.2</AltitudeMeters><DistanceMeters>{metres * second / seconds:.1f}</DistanceMeters>"
            f"<HeartRateBpm><Value>{rng.randint(135, 165)}</Value></HeartRateBpm></Trackpoint>"
        )
    start = utc_start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        f'<Activities><Activity Sport="Running"><Id>{start}</Id><Lap StartTime="{start}">'
        f"<TotalTimeSeconds>{seconds}.0</TotalTimeSeconds><DistanceMeters>{metres}</DistanceMeters>"
        "<Calories>350</Calories><Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>"
        f"<Track>{''.join(points)}</Track></Lap><Creator><Name>Fitbit Charge 6</Name></Creator></Activity>"
        "</Activities></TrainingCenterDatabase>"
    ).encode()


def _period_start(spec: TakeoutSpec, day: date) -> date:
    return spec.start + timedelta(days=PERIOD_DAYS * ((day - spec.start).days // PERIOD_DAYS))


def build_takeout(spec: TakeoutSpec | None = None) -> WrittenTakeout:
    spec = spec or TakeoutSpec()
    out = WrittenTakeout()
    files = out.files
    periods: dict[str, dict[date, list]] = {
        k: {} for k in ("steps", "calories", "distance", "rhr", "sleep", "weight")
    }
    exercises: list[dict] = []
    daily_spo2: dict[date, list] = {}
    for offset in range(spec.days):
        day = spec.start + timedelta(days=offset)
        period = _period_start(spec, day)
        midnight = datetime.combine(day, datetime.min.time())
        rng = _day_random(spec, day, "day")
        # heart rate every hr_step_s, higher in the morning run
        heart = []
        for second in range(0, 86_400, spec.hr_step_s):
            run = 7 * 3600 <= second < 7 * 3600 + 1800
            bpm = rng.randint(130, 165) if run else rng.randint(52, 85)
            heart.append(
                {
                    "dateTime": _us(midnight + timedelta(seconds=second)),
                    "value": {"bpm": bpm, "confidence": rng.choice((2, 3))},
                }
            )
        files[f"{GLOBAL}/heart_rate-{day.isoformat()}.json"] = fitbit_json(heart)
        out.heart_rate_rows += len(heart)
        # steps / calories / distance per minute (Fitbit writes the values as strings; distance in cm)
        steps_day = 0
        for minute in range(0, 1440, 15):  # every 15 min keeps files small; Fitbit writes every minute
            moment = midnight + timedelta(minutes=minute)
            steps = rng.randint(0, 120) if 7 * 60 <= minute < 22 * 60 else 0
            steps_day += steps
            periods["steps"].setdefault(period, []).append({"dateTime": _us(moment), "value": str(steps)})
            periods["calories"].setdefault(period, []).append(
                {"dateTime": _us(moment), "value": f"{1.1 + steps / 100:.2f}"}
            )
            periods["distance"].setdefault(period, []).append(
                {"dateTime": _us(moment), "value": str(steps * 75)}
            )
        out.steps_by_day[day] = steps_day
        rhr = 50 + rng.random() * 6
        out.resting_hr_by_day[day] = rhr
        periods["rhr"].setdefault(period, []).append(
            {
                "dateTime": _us(midnight),
                "value": {"date": day.strftime("%m/%d/%y"), "value": rhr, "error": 6.78},
            }
        )
        log, stage_rows = _sleep_log(spec, day, 40_000_000_000 + (day - date(2020, 1, 1)).days)
        periods["sleep"].setdefault(period, []).append(log)
        out.sleep_logs += 1
        out.sleep_stage_rows += stage_rows
        if offset % 2 == 0:  # a weigh-in every other day, typed as kg by an Aria scale
            kg = spec.edited_weights.get(day, round(70 + rng.random(), 1))
            periods["weight"].setdefault(period, []).append(
                {
                    "logId": 1_700_000_000_000 + offset,
                    "weight": kg,
                    "bmi": round(kg / 1.78**2, 2),
                    "fat": 18.5,
                    "date": day.strftime("%m/%d/%y"),
                    "time": "07:05:00",
                    "source": "Aria",
                }
            )
            out.weights += 1
            if spec.tcx_for_runs:
                log_id = 60_000_000_000 + offset
                utc_start = midnight + timedelta(hours=7 - spec.utc_offset_h)
                files[f"{ROOT}/Exercise TCX/{log_id}.tcx"] = run_tcx(utc_start, 1800, 5210.0, rng)
            # and a morning run recorded by the tracker
            run_start = midnight + timedelta(hours=7)
            exercises.append(
                {
                    "logId": 60_000_000_000 + offset,
                    "activityName": "Run",
                    "activityTypeId": 90009,
                    "activityLevel": [{"minutes": 30, "name": "very"}],
                    "averageHeartRate": 148,
                    "calories": 350,
                    "duration": 1_800_000,
                    "activeDuration": 1_800_000,
                    "steps": 4800,
                    "source": {
                        "type": "tracker",
                        "name": spec.tracker,
                        "id": "2471432041",
                        "url": "https://www.fitbit.com/",
                        "trackerFeatures": ["HEARTRATE", "GPS", "STEPS", "CALORIES", "DISTANCE"],
                    },
                    "logType": "tracker",
                    "manualValuesSpecified": {"calories": False, "distance": False, "steps": False},
                    "heartRateZones": [
                        {"name": "Out of Range", "min": 30, "max": 98, "minutes": 2},
                        {"name": "Cardio", "min": 136, "max": 166, "minutes": 28},
                    ],
                    "lastModified": _us(run_start + timedelta(minutes=40)),
                    "startTime": _us(run_start),
                    "originalStartTime": _us(run_start),
                    "originalDuration": 1_800_000,
                    "distance": 5.21,
                    "distanceUnit": "Kilometer",
                    "elevationGain": 12.0,
                    "hasGps": True,
                    "tcxLink": f"https://www.fitbit.com/activities/exercise/{60_000_000_000 + offset}?export=tcx",
                }
            )
        # HRV: the night's RMSSD summary and 5-minute details
        rmssd = round(30 + rng.random() * 25, 3)
        out.rmssd_by_day[day] = rmssd
        files[
            f"{ROOT}/Heart Rate Variability/Daily Heart Rate Variability Summary - {day:%Y-%m}-({day:%d}).csv"
        ] = _csv(
            ["timestamp", "rmssd", "nremhr", "entropy"], [[f"{day.isoformat()}T00:00:00", rmssd, 55.1, 2.9]]
        )
        details = []
        night = midnight - timedelta(hours=1)
        for step in range(0, 6 * 60, 5):
            details.append(
                [
                    (night + timedelta(minutes=step)).strftime("%Y-%m-%dT%H:%M:%S"),
                    round(rmssd + rng.uniform(-8, 8), 3),
                    0.95,
                    round(rng.uniform(200, 900), 3),
                    round(rng.uniform(100, 700), 3),
                ]
            )
        files[f"{ROOT}/Heart Rate Variability/Heart Rate Variability Details - {day.isoformat()}.csv"] = _csv(
            ["timestamp", "rmssd", "coverage", "low_frequency", "high_frequency"], details
        )
        # SpO2: the night's average and minute values; temperature: the night's computed value and the device's
        daily_spo2[day] = [f"{day.isoformat()}T00:00:00", round(95 + rng.random() * 2, 1), 93.0, 99.0]
        minutes = [
            [(night + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S"), round(94 + rng.random() * 4, 1)]
            for m in range(0, 60, 1)
        ]
        files[f"{ROOT}/Oxygen Saturation (SpO2)/Minute SpO2 - {day.isoformat()}.csv"] = _csv(
            ["timestamp", "value"], minutes
        )
        files[f"{ROOT}/Temperature/Computed Temperature - {day.isoformat()}.csv"] = _csv(
            [
                "type",
                "sleep_start",
                "sleep_end",
                "temperature_samples",
                "nightly_temperature",
                "baseline_relative_sample_sum",
                "baseline_relative_sample_sum_of_squares",
                "baseline_relative_nightly_standard_deviation",
                "baseline_relative_sample_standard_deviation",
            ],
            [
                [
                    "SKIN_TEMPERATURE",
                    log["startTime"],
                    log["endTime"],
                    420,
                    round(33.5 + rng.random(), 3),
                    -12.1,
                    30.2,
                    0.21,
                    0.27,
                ]
            ],
        )
        files[f"{ROOT}/Temperature/Device Temperature - {day.isoformat()}.csv"] = _csv(
            ["recorded_time", "temperature", "sensor_type"],
            [
                [
                    (night + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M"),
                    round(33 + rng.random(), 2),
                    "UNKNOWN",
                ]
                for m in range(0, 60, 10)
            ],
        )
    names = {
        "steps": "steps",
        "calories": "calories",
        "distance": "distance",
        "rhr": "resting_heart_rate",
        "sleep": "sleep",
        "weight": "weight",
    }
    for key, by_period in periods.items():
        for period, items in by_period.items():
            files[f"{GLOBAL}/{names[key]}-{period.isoformat()}.json"] = fitbit_json(items)
    for first in range(0, len(exercises), 100):
        files[f"{GLOBAL}/exercise-{first}.json"] = fitbit_json(exercises[first : first + 100])
    out.exercises = len(exercises)
    by_period_spo2: dict[date, list] = {}
    for day, row in daily_spo2.items():
        by_period_spo2.setdefault(_period_start(spec, day), []).append(row)
    for period, rows in by_period_spo2.items():
        end = period + timedelta(days=PERIOD_DAYS - 1)
        files[f"{ROOT}/Oxygen Saturation (SpO2)/Daily SpO2 - {period.isoformat()}-{end.isoformat()}.csv"] = (
            _csv(["timestamp", "average_value", "lower_bound", "upper_bound"], rows)
        )
    files[f"{GLOBAL}/swim_lengths_data-{spec.start.isoformat()}.json"] = b"[]"
    files[f"{ROOT}/Your Profile/Profile.csv"] = _csv(
        [
            "id",
            "full_name",
            "first_name",
            "last_name",
            "display_name_setting",
            "display_name",
            "username",
            "email_address",
            "date_of_birth",
            "child",
            "country",
            "state",
            "city",
            "timezone",
            "locale",
            "member_since",
            "about_me",
            "start_of_week",
            "sleep_tracking",
            "time_display_format",
            "gender",
            "height",
            "weight",
            "stride_length_walk",
            "stride_length_run",
            "weight_unit",
            "distance_unit",
            "height_unit",
            "water_unit",
            "glucose_unit",
            "swim_unit",
        ],
        [
            [
                "7QXYZ9",
                "Alex Example",
                "Alex",
                "Example",
                "name",
                "Alex E.",
                "null",
                "alex@example.org",
                "1988-05-17",
                "false",
                "DE",
                "null",
                "Berlin",
                spec.timezone,
                "de_DE",
                "2019-02-11",
                "null",
                "MONDAY",
                "Normal",
                "24hour",
                "FEMALE",
                "178.0",
                "70.5",
                "73.9",
                "101.2",
                "METRIC",
                "METRIC",
                "METRIC",
                "METRIC",
                "MG_DL",
                "METRIC",
            ]
        ],
    )
    files["Takeout/archive_browser.html"] = b"<!DOCTYPE html><html><body>Takeout</body></html>"
    return out


def write_takeout_folder(folder: Path, spec: TakeoutSpec | None = None) -> WrittenTakeout:
    written = build_takeout(spec)
    for path, content in written.files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return written


def write_takeout_zip(path: Path, spec: TakeoutSpec | None = None) -> WrittenTakeout:
    written = build_takeout(spec)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in written.files.items():
            archive.writestr(name, content)
    return written
