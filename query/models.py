"""Typed results of the query layer (also the API's response models and the MCP tools' output schemas).

Times are UTC datetimes (serialised ISO 8601 with Z); dates are local calendar dates of the athlete.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from openfit.schema_spec import Column, load_spec
from query.values import iso_utc


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_serializer("*", when_used="json")
    def _utc(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return iso_utc(value)
        return value


@cache
def contract_columns(table: str) -> dict[str, Column]:
    """The columns of a published openfit table as its dbt contract declares them (name, type, not null,
    description, unit: transform/models/openfit/_openfit__models.yml, read through openfit.schema_spec)."""
    (spec,) = [t for t in load_spec().tables if t.name == table]
    return {column.name: column for column in spec.columns}


class TableRow(Model):
    """A row, or a projection of one, of the published table `openfit_table`: its fields are that table's
    columns, with the contract's names, types and nullability (tests/api/test_response_models_contract.py checks
    it), plus the `derived_fields` the read layer adds. A column field's description and unit are the
    contract's, so the API's and MCP's schemas say what the dbt YAML says; a field may state its own."""

    openfit_table: ClassVar[str]
    derived_fields: ClassVar[frozenset[str]] = frozenset()  # fields that are not columns (nested rows, maps)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        columns = contract_columns(cls.openfit_table)
        described = False
        for name, info in cls.model_fields.items():
            column = columns.get(name)
            if column is not None and info.description is None:
                info.description = column.description + (f" Unit: {column.unit}." if column.unit else "")
                described = True
        if described:
            cls.model_rebuild(force=True)


class Athlete(TableRow):
    openfit_table = "athletes"

    athlete_id: str
    display_name: str | None = None
    sex: str | None = None
    birth_year: int | None = None
    home_timezone: str | None = None
    weight_kg: float | None = None


class SourceStatus(Model):
    source: str
    last_loaded_at: datetime | None = Field(None, description="Last successful load of this source (UTC).")
    rows: int = Field(description="Rows this source contributed that the caller may see.")
    status: str = Field(description="fresh (loaded within 48 h of the snapshot build), stale, or unknown.")


class ActivitySummary(TableRow):
    openfit_table = "activities"

    activity_id: str
    athlete_id: str
    name: str | None = None
    sport: str | None = None
    sub_sport: str | None = None
    start_time: datetime
    end_time: datetime | None = None
    utc_offset_s: int | None = None
    local_date: date | None = None
    duration_s: float | None = None
    moving_s: float | None = None
    distance_m: float | None = None
    ascent_m: float | None = None
    avg_hr: float | None = None
    max_hr: int | None = None
    avg_power_w: float | None = None
    avg_speed_mps: float | None = None
    kcal: float | None = None
    rpe: float | None = None
    primary_source: str | None = None
    primary_device_id: str | None = None
    primary_recording_id: str | None = None
    recording_count: int | None = None


class Recording(TableRow):
    openfit_table = "activity_recordings"

    recording_id: str
    recording_role: str | None = None
    source: str | None = None
    device_id: str | None = None
    external_id: str | None = None
    sport: str | None = None
    sub_sport: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_s: float | None = None
    moving_s: float | None = None
    distance_m: float | None = None
    ascent_m: float | None = None
    avg_hr: float | None = None
    max_hr: int | None = None
    avg_power_w: float | None = None
    avg_speed_mps: float | None = None
    avg_cadence: float | None = None
    kcal: float | None = None
    has_gps: bool | None = None
    indoor: bool | None = None
    loaded_at: datetime | None = None


class Lap(TableRow):
    openfit_table = "laps"

    recording_id: str | None = None
    lap_index: int
    start_time: datetime | None = None
    duration_s: float | None = None
    distance_m: float | None = None
    avg_hr: float | None = None
    max_hr: int | None = None
    avg_power_w: float | None = None
    avg_speed_mps: float | None = None


# Fields the merge takes from the best device per seeds/source_priority.csv (openfit.activities.<field>_source).
MERGED_FIELDS = ("hr", "power", "gps", "distance")


class ActivityDetail(ActivitySummary):
    derived_fields = frozenset({"recordings", "laps", "field_sources"})

    recordings: list[Recording] = []
    laps: list[Lap] = []
    hr_source: str | None = None
    power_source: str | None = None
    gps_source: str | None = None
    distance_source: str | None = None
    field_sources: dict[str, str] | None = Field(
        None,
        description="The same per-field provenance as a map (hr, power, gps, distance -> device); only the "
        "fields some device measured; null when the snapshot does not record it.",
    )


class ActivityPage(Model):
    items: list[ActivitySummary]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null at the end."
    )


class Streams(Model):
    activity_id: str
    recording_id: str | None
    points: int = Field(description="Number of points returned (after downsampling).")
    source_points: int = Field(description="Number of samples stored.")
    channels: dict[str, list[Any]] = Field(
        description="Columnar channels; `time` holds ISO 8601 UTC timestamps (bucket starts when downsampled)."
    )


class SleepSession(TableRow):
    openfit_table = "sleep_sessions"

    sleep_id: str
    athlete_id: str
    source: str | None = None
    device_id: str | None = None
    start_time: datetime
    end_time: datetime | None = None
    utc_offset_s: int | None = None
    local_date: date | None = None
    duration_s: float | None = None
    deep_s: float | None = None
    light_s: float | None = None
    rem_s: float | None = None
    awake_s: float | None = None
    score: float | None = None
    avg_hr: float | None = None
    lowest_hr: int | None = None
    hrv_rmssd_ms: float | None = None
    respiration_rate: float | None = None


class SleepStage(TableRow):
    openfit_table = "sleep_stages"

    stage: str
    start_time: datetime
    end_time: datetime | None = None
    duration_s: float | None = None


class SleepDetail(SleepSession):
    derived_fields = frozenset({"stages"})

    stages: list[SleepStage] = []


class WellnessDay(TableRow):
    """One athlete-day: per metric the preferred source's value and, in <metric>_source, where it came from
    (a device_id, or the source when no device is named)."""

    openfit_table = "wellness_daily"

    athlete_id: str
    date: date
    resting_hr: float | None = None
    resting_hr_source: str | None = None
    hrv_rmssd_ms: float | None = None
    hrv_rmssd_ms_source: str | None = None
    steps: int | None = None
    steps_source: str | None = None
    weight_kg: float | None = None
    weight_kg_source: str | None = None
    body_fat_pct: float | None = None
    body_fat_pct_source: str | None = None
    active_kcal: float | None = None
    active_kcal_source: str | None = None
    stress_avg: float | None = None
    stress_avg_source: str | None = None
    sleep_s: float | None = None
    sleep_s_source: str | None = None
    sleep_score: float | None = None
    sleep_score_source: str | None = None


class WellnessSourceDay(TableRow):
    """One athlete-day as one source device measured it (openfit.wellness_daily_by_source)."""

    openfit_table = "wellness_daily_by_source"

    athlete_id: str
    date: date
    source: str | None = None
    device_id: str | None = None
    resting_hr: float | None = None
    hrv_rmssd_ms: float | None = None
    steps: int | None = None
    weight_kg: float | None = None
    body_fat_pct: float | None = None
    active_kcal: float | None = None
    stress_avg: float | None = None
    sleep_s: float | None = None
    sleep_score: float | None = None


class MetricPoint(TableRow):
    openfit_table = "metrics"

    athlete_id: str
    ts: datetime
    value: float | None
    unit: str | None = None
    source: str | None = None
    device_id: str | None = None


class MetricSeries(Model):
    metric: str
    kind: str = Field(
        description="raw (points from openfit.metrics) or daily (the catalogue's daily series)."
    )
    unit: str | None = None
    points: list[MetricPoint]


class Correlation(Model):
    a: str
    b: str
    lag_days: int = Field(description="r pairs a(day) with b(day + lag): a positive lag means a leads b.")
    r: float | None = Field(description="Pearson r over days where both are present; null if fewer than 3.")
    n: int


class CorrelationResult(Model):
    athlete_id: str
    dates: list[date]
    normalized: bool
    series: dict[str, list[float | None]]
    correlations: list[Correlation]


class MartRows(Model):
    table: str
    columns: list[str]
    rows: list[dict[str, Any]]


class ActivityDataIssue(Model):
    """A row of marts.activity_data_issues (its dbt contract in transform/models/marts/_marts__models.yml;
    tests/api/test_response_models_contract.py checks names, types, nullability and descriptions)."""

    mart_table: ClassVar[str] = "activity_data_issues"

    issue_index: int = Field(
        description="Position of the issue in the activity, from 0, in order of start time; an index, no unit."
    )
    channel: str = Field(
        description="The faulty channel, heart_rate, power, speed, cadence or position (lat/lon)."
    )
    kind: str = Field(
        description="What was found (analytics.ISSUE_KINDS). One of hr_spike, hr_dropout, cadence_lock, "
        "gps_jump, power_spike, flat_line."
    )
    severity: str = Field(
        description="moderate, or high (a larger deviation, a longer stretch, or a value beyond physiology)."
    )
    start_offset_s: float = Field(
        description="Seconds from the activity's first sample to the first affected sample. Unit: s."
    )
    end_offset_s: float = Field(
        description="Seconds from the activity's first sample to the last affected sample (inclusive). Unit: s."
    )
    start_time: datetime = Field(description="Time of the first affected sample (UTC).")
    end_time: datetime = Field(description="Time of the last affected sample (UTC).")
    samples: int = Field(
        description="Number of samples flagged (a run may bridge up to 2 unflagged samples, not counted). "
        "Unit: count."
    )
    value: float | None = Field(
        None,
        description="The worst value of the run, in the kind's unit: bpm away from the median (hr_spike), W "
        "(power_spike), m hopped (gps_jump), s of the run (hr_dropout, cadence_lock, flat_line).",
    )
    threshold: float | None = Field(
        None,
        description="The threshold crossed, in the kind's unit: bpm (hr_spike), W (power_spike), m/s speed "
        "limit (gps_jump), minimum s (hr_dropout, cadence_lock, flat_line).",
    )
    explanation: str = Field(
        description="A plain-language sentence for the athlete saying what was seen, where, and what it affects."
    )


class ActivityIssues(Model):
    activity_id: str
    athlete_id: str
    checked: bool = Field(
        description="Whether the data-quality mart has been built; false means the issues are not known yet."
    )
    issues: list[ActivityDataIssue] = Field(
        description="Sensor faults found in the activity's samples, in order of start time; empty when clean."
    )


class TrendBucket(Model):
    period_start: date
    activities: int
    duration_s: float
    distance_m: float
    ascent_m: float
    kcal: float


class Trends(Model):
    athlete_id: str
    period: str
    buckets: list[TrendBucket]


class TableCount(Model):
    table: str
    rows: int


class Health(Model):
    status: str = Field(
        description="ok, degraded (snapshot present but build not successful) or unavailable."
    )
    snapshot_present: bool
    built_at: datetime | None = None
    snapshot_age_s: float | None = None
    build_status: str | None = None
    run_id: str | None = None
    settings_hash: str | None = Field(
        default=None,
        description="Hash of the settings the published data were built with (`openfit config show`).",
    )
    row_counts: list[TableCount] = []


class SchemaColumn(Model):
    name: str
    type: str


class SchemaTable(Model):
    schema_name: str
    table: str
    columns: list[SchemaColumn]


class SqlResultModel(Model):
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool = Field(description="True if the result had more rows than max_rows.")
    elapsed_ms: float
