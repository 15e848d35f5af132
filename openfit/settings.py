"""The one settings module. Every knob is an `OPENFIT_*` environment variable (or a `.env` line).

Paths derive from `OPENFIT_HOME`; nothing else in the code base decides where files live.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "transform"


# The daily wellness metrics that get one chosen value per athlete and day (the dbt macro daily_metrics() holds
# the same list; openfit.wellness_daily has a column and a <metric>_source column for each).
DAILY_METRICS = (
    "resting_hr", "hrv_rmssd_ms", "steps", "weight_kg", "body_fat_pct", "active_kcal", "stress_avg", "sleep_s",
    "sleep_score",
)


class DailySourceOverride(BaseModel):
    """One preference that beats transform/seeds/daily_source_priority.csv: for `athlete_id` ('*' = everyone),
    take `metric` from `source` (a device_id, a device type such as 'watch', or a source name) when it has a value."""

    model_config = ConfigDict(extra="forbid")

    athlete_id: str = "*"
    metric: str
    source: str = Field(min_length=1)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in DAILY_METRICS:
            raise ValueError(f"unknown daily metric {value!r}; known: {', '.join(DAILY_METRICS)}")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("./data"), description="Holds the warehouse, blobs and the snapshot.")

    # The synthetic cohort (the credential-free demo provider).
    synthetic_athletes: int = Field(default=3, ge=1, le=500)
    synthetic_days: int = Field(default=365, ge=7, le=3650)
    synthetic_seed: int = 42
    synthetic_end_date: date | None = Field(
        default=None, description="Last synthetic day; default today. Fix it for reproducible builds."
    )

    # Orchestration.
    schedule_cron: str = Field(default="0 4 * * *", description="Daily refresh, cron syntax.")
    schedule_timezone: str = "UTC"
    synthetic_enabled: bool = Field(default=True, description="Load the synthetic demo cohort.")

    # Memory DuckDB may use in the writer (dlt loads and dbt); beyond it, sorts spill to disk.
    duckdb_memory_limit: str = "4GB"

    # Servers started by `openfit serve` (always on 127.0.0.1).
    dagster_port: int = 3000
    api_port: int = 8000
    dashboard_port: int = 8501

    # Sports-science variants, passed to dbt as vars of the same name (names and defaults: analytics/README.md).
    algo_pmc: str = "goldencheetah"
    algo_tsb: str = "yesterday"
    algo_load_priority: str = "power_tss,rtss,hrss,session_rpe"
    algo_np: str = "valid_windows"
    algo_trimp: str = "banister"
    algo_hrss: str = "trimp"
    algo_rtss: str = "mean_gap"
    algo_gap: str = "minetti"
    algo_acwr: str = "ewma"
    algo_ewma_seed: str = "first_load"
    algo_monotony_sd: str = "population"
    algo_cp_fit: str = "work_time"
    estimates_window_days: int = 90
    marts_as_of_date: date | None = Field(default=None, description="Last day of the daily marts; default today.")

    # Per-athlete daily source preferences over seeds/daily_source_priority.csv, first match wins, as JSON, e.g.
    # OPENFIT_DAILY_SOURCE_OVERRIDES='[{"athlete_id": "synthetic:a1", "metric": "resting_hr", "source": "watch"}]'
    daily_source_overrides: list[DailySourceOverride] = Field(
        default_factory=list, description="Which source wins which daily metric, per athlete (dbt var)."
    )

    @property
    def home_dir(self) -> Path:
        # resolve() walks the disk; the API asks for paths on every request, so it is remembered per cwd.
        return _resolved(self.home, os.getcwd())

    @property
    def warehouse_path(self) -> Path:
        """The writer's DuckDB file. Only Dagster-run code opens it."""
        return self.home_dir / "warehouse.duckdb"

    @property
    def blob_dir(self) -> Path:
        """Content-addressed originals and payloads: blobs/<sha[:2]>/<sha>."""
        return self.home_dir / "blobs"

    @property
    def serving_dir(self) -> Path:
        return self.home_dir / "serving"

    @property
    def snapshot_path(self) -> Path:
        """The published, read-only snapshot every reader opens."""
        return self.serving_dir / "snapshot.duckdb"

    @property
    def raw_payloads_path(self) -> Path:
        """The published, read-only copy of the provider payloads (the raw layer) that account exports read."""
        return self.serving_dir / "raw_payloads.duckdb"

    @property
    def inbox_dir(self) -> Path:
        return self.home_dir / "inbox"

    @property
    def dagster_home(self) -> Path:
        return self.home_dir / "dagster"

    @property
    def dlt_dir(self) -> Path:
        """dlt pipeline working folders (state, load packages)."""
        return self.home_dir / "dlt"

    def ensure_dirs(self) -> None:
        for path in (self.home_dir, self.blob_dir, self.serving_dir, self.inbox_dir, self.dagster_home, self.dlt_dir):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=64)
def _resolved(path: Path, cwd: str) -> Path:
    return path.expanduser().resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings. Tests that change env vars call `get_settings.cache_clear()`."""
    return Settings()
