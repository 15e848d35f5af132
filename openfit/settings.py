"""The one settings module. Every knob has a name (e.g. `synthetic_seed`) and comes, first match wins, from:

1. a command-line flag (`openfit build --seed 5`; set with `set_command_line`),
2. the environment: `OPENFIT_<NAME>` (or a `.env` line),
3. the home's settings file `$OPENFIT_HOME/openfit.toml`, one `name = value` line per setting, e.g.

       synthetic_athletes = 6
       synthetic_seed = 5
       synthetic_end_date = 2026-06-30
       algo_pmc = "trainingpeaks"
       daily_source_overrides = [{ athlete_id = "*", metric = "resting_hr", source = "watch" }]

4. the default below.

The home file is what makes a home reproducible: a build records in it every setting that shapes the data
(DATA_SETTINGS) that it was given by a flag or the environment, so every later run in that home (imports, the
schedule, sensors, `openfit serve`) builds the same data. `openfit config show` prints each effective setting
and its origin; `openfit config set` writes the file. A malformed file is an error naming its line, raised
before anything runs.

Paths derive from `OPENFIT_HOME` (flag, environment or default; never the home file, which lives inside it);
nothing else in the code base decides where files live.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
import typing
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from analytics import DEFAULT_LOAD_PRIORITY, DEFAULTS, choose, parse_priority

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "transform"


def _daily_metrics() -> tuple[str, ...]:
    """The daily wellness metrics that get one chosen value per athlete and day (openfit.wellness_daily has a
    column and a <metric>_source column for each), declared once in dbt_project.yml (vars.daily_metrics)."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return tuple(project["vars"]["daily_metrics"])


DAILY_METRICS = _daily_metrics()


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


HOME_FILE_NAME = "openfit.toml"

# Each algorithm setting and its variant family in analytics.VARIANTS, which declares the names, the allowed
# values and the default (the first name); a setting outside them is an error naming the valid ones.
ALGORITHM_SETTINGS = {
    "algo_pmc": "pmc",
    "algo_tsb": "tsb",
    "algo_np": "np",
    "algo_trimp": "trimp",
    "algo_hrss": "hrss",
    "algo_rtss": "rtss_pace",
    "algo_gap": "gap",
    "algo_acwr": "acwr",
    "algo_ewma_seed": "ewma_seed",
    "algo_monotony_sd": "sd",
    "algo_cp_fit": "cp_fit",
    "algo_load_stream": "load_stream",
}

# Settings that dbt receives as vars of the same name (always passed by orchestration/dbt.py; dbt_project.yml
# declares no default for them).
DBT_VAR_SETTINGS = (
    *ALGORITHM_SETTINGS,
    "algo_load_priority",
    "estimates_window_days",
    "marts_as_of_date",
    "files_athlete_id",
)
SYNTHETIC_COHORT_SETTINGS = ("synthetic_athletes", "synthetic_days", "synthetic_seed", "synthetic_end_date")
# The settings that shape the published data: builds record them in the home file, build_info carries them.
DATA_SETTINGS = (
    "synthetic_enabled",
    *SYNTHETIC_COHORT_SETTINGS,
    *DBT_VAR_SETTINGS,
    "daily_source_overrides",
    "disabled_providers",
)


class HomeFileError(ValueError):
    """The home's settings file cannot be read or holds a bad setting (the message names the line)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_", env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags (init kwargs) > environment > .env > the home file > defaults. The home file's location depends
        # on `home`, which only the layers above it may set.
        home = _home_from(init_settings, env_settings, dotenv_settings)
        home_file = HomeFileSettingsSource(settings_cls, home / HOME_FILE_NAME)
        return init_settings, env_settings, dotenv_settings, home_file, file_secret_settings

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
    disabled_providers: list[str] = Field(
        default_factory=list,
        description='Configured providers that no build, schedule or sensor extracts (e.g. ["strava"]); the '
        "data they loaded before stays. The synthetic cohort is switched off with synthetic_enabled instead, "
        "which also removes its rows.",
    )

    # Memory DuckDB may use in the writer (dlt loads and dbt); beyond it, sorts spill to disk.
    duckdb_memory_limit: str = "4GB"

    # The HTTP API (read when the app is created).
    api_rate_limit_per_minute: int = Field(
        default=1200, ge=0, description="Per key; 0 switches the limit off."
    )
    api_rate_limit_burst: int = Field(default=200, ge=1)
    api_response_cache_mb: int = Field(
        default=64, ge=0, description="Answers kept per process for the current snapshot; 0 = no cache."
    )
    api_cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed; empty = closed."
    )

    # Bounds of the read layer (API and MCP), so one key cannot exhaust the server.
    api_sql_timeout_s: float = Field(
        default=10.0, gt=0, le=600, description="query_sql: the whole call, setup and conversion included."
    )
    api_sql_memory_limit: str = Field(default="256MB", description="query_sql: DuckDB memory per query.")
    api_sql_max_result_mb: float = Field(
        default=4.0, gt=0, le=512, description="query_sql: largest result (JSON) in MB; larger is an error."
    )
    api_heavy_calls_per_key: int = Field(
        default=2, ge=1, description="Concurrent query_sql calls per key; more are answered 429."
    )
    api_heavy_calls_total: int = Field(
        default=8, ge=1, description="Concurrent query_sql calls over all keys."
    )
    api_mcp_streams_per_key: int = Field(default=4, ge=0, description="Open GET /mcp streams per key.")
    api_mcp_streams_total: int = Field(default=64, ge=0, description="Open GET /mcp streams over all keys.")
    api_exports_per_key: int = Field(default=1, ge=1, description="Concurrent /v1/export downloads per key.")
    api_exports_total: int = Field(default=2, ge=1, description="Concurrent /v1/export downloads in all.")

    # Servers started by `openfit serve` (always on 127.0.0.1).
    dagster_port: int = 3000
    api_port: int = 8000
    dashboard_port: int = 8501
    docs_port: int = 8502  # the data docs (dbt's docs site for the snapshot, orchestration/data_docs.py)
    webhook_port: int = 8503  # the webhook receiver (ingestion/webhooks/app.py)
    webhook_public_url: str | None = Field(
        default=None,
        description="The public https base URL that reaches the webhook receiver (a reverse proxy or tunnel "
        "in front of webhook_port); `openfit webhooks` shows the callback URLs to register from it.",
    )

    # Sports-science variants, passed to dbt as vars of the same name. Their names, allowed values and defaults
    # are declared once, in analytics.VARIANTS (ALGORITHM_SETTINGS maps each setting to its family).
    algo_pmc: str = DEFAULTS["pmc"]
    algo_tsb: str = DEFAULTS["tsb"]
    algo_load_priority: str = ",".join(DEFAULT_LOAD_PRIORITY)
    algo_np: str = DEFAULTS["np"]
    algo_trimp: str = DEFAULTS["trimp"]
    algo_hrss: str = DEFAULTS["hrss"]
    algo_rtss: str = DEFAULTS["rtss_pace"]
    algo_gap: str = DEFAULTS["gap"]
    algo_acwr: str = DEFAULTS["acwr"]
    algo_ewma_seed: str = DEFAULTS["ewma_seed"]
    algo_monotony_sd: str = DEFAULTS["sd"]
    algo_cp_fit: str = DEFAULTS["cp_fit"]
    # raw: load is scored on the samples as recorded; cleaned: with the sensor faults analytics.signal_quality
    # flags (marts.activity_data_issues) set to null first. Default raw, so existing results do not change.
    algo_load_stream: str = DEFAULTS["load_stream"]
    estimates_window_days: int = 90
    marts_as_of_date: date | None = Field(
        default=None, description="Last day of the daily marts; default today."
    )

    # Imported files (FIT, GPX, TCX, health exports) name no athlete: they belong to this one. Set it to the athlete
    # a provider is connected as (`openfit connect strava --athlete me` -> "me") and their files and the provider's
    # workouts merge into one history.
    files_athlete_id: str = Field(
        default="files:owner", min_length=1, description="The athlete imported files belong to (dbt var)."
    )

    # Per-athlete daily source preferences over seeds/daily_source_priority.csv, first match wins, as JSON, e.g.
    # OPENFIT_DAILY_SOURCE_OVERRIDES='[{"athlete_id": "synthetic:a1", "metric": "resting_hr", "source": "watch"}]'
    daily_source_overrides: list[DailySourceOverride] = Field(
        default_factory=list, description="Which source wins which daily metric, per athlete (dbt var)."
    )

    @field_validator(*ALGORITHM_SETTINGS)
    @classmethod
    def _known_variant(cls, value: str, info: ValidationInfo) -> str:
        return choose(ALGORITHM_SETTINGS[info.field_name], value)

    @field_validator("algo_load_priority")
    @classmethod
    def _known_load_sources(cls, value: str) -> str:
        return ",".join(parse_priority(value))

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
        for path in (
            self.home_dir,
            self.blob_dir,
            self.serving_dir,
            self.inbox_dir,
            self.dagster_home,
            self.dlt_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=64)
def _resolved(path: Path, cwd: str) -> Path:
    return path.expanduser().resolve()


# ------------------------------------------------------------------------------------------- the home file


def _home_from(*sources: PydanticBaseSettingsSource) -> Path:
    for source in sources:
        values = source.init_kwargs if isinstance(source, InitSettingsSource) else source()
        if values.get("home"):
            return Path(values["home"]).expanduser()
    return Settings.model_fields["home"].default


def _field_adapter(name: str) -> TypeAdapter:
    """Validates one setting's value on its own (type and constraints), so a bad value can be blamed on its line."""
    field = Settings.model_fields[name]
    return (
        TypeAdapter(Annotated[field.annotation, *field.metadata])
        if field.metadata
        else TypeAdapter(field.annotation)
    )


def is_secret(name: str) -> bool:
    """A SecretStr setting: masked in `config show`, never written to the home file."""
    return "SecretStr" in repr(Settings.model_fields[name].annotation)


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


class HomeFileSettingsSource(TomlConfigSettingsSource):
    """`$OPENFIT_HOME/openfit.toml`, read with tomllib by pydantic-settings; every key is checked here first, so
    that a typo or a bad value is an error naming its line rather than a silently ignored or half-read file."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path):
        self.path = path
        try:
            super().__init__(settings_cls, toml_file=path)
        except tomllib.TOMLDecodeError as exc:
            raise HomeFileError(f"{path}: not valid TOML: {exc}") from None
        text = path.read_text() if path.is_file() else ""
        for key, value in self.toml_data.items():
            where = f"{path}, line {_line_of(text, key) or '?'}"
            if key not in Settings.model_fields or key == "home":
                raise HomeFileError(f"{where}: unknown setting {key!r} (`openfit config show` lists them)")
            if is_secret(key):
                raise HomeFileError(
                    f"{where}: {key} is a secret; set it in the environment, not in the home file"
                )
            try:
                _field_adapter(key).validate_python(value)
            except ValidationError as exc:
                raise HomeFileError(f"{where}: {key} = {value!r}: {exc.errors()[0]['msg']}") from None


def current_home() -> Path:
    """This process's home from flags, environment or default, without reading the home file (which may be
    the broken thing someone is trying to look at)."""
    return (
        _home_from(
            InitSettingsSource(Settings, dict(_command_line)),
            EnvSettingsSource(Settings),
            DotEnvSettingsSource(Settings),
        )
        .expanduser()
        .resolve()
    )


def home_file_path(home: Path) -> Path:
    return home.expanduser() / HOME_FILE_NAME


def read_home_file(home: Path) -> dict[str, Any]:
    """The home file's settings, validated (empty when there is no file). Raises HomeFileError."""
    return dict(HomeFileSettingsSource(Settings, home_file_path(home)).toml_data)


def parse_setting(name: str, value: Any) -> Any:
    """A setting's value from text (as given to `openfit config set`) or TOML, validated; raises ValueError."""
    if name not in Settings.model_fields or name == "home":
        raise ValueError(f"unknown setting {name!r}")
    if is_secret(name):
        raise ValueError(
            f"{name} is a secret; set it in the environment (OPENFIT_{name.upper()}), not in a file"
        )
    if isinstance(value, str) and typing.get_origin(Settings.model_fields[name].annotation) is list:
        try:
            value = json.loads(value)  # a list, written as JSON as in the environment variable
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name} = {value!r}: not a JSON list ({exc.msg})") from None
    try:
        return _field_adapter(name).validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"{name} = {value!r}: {exc.errors()[0]['msg']}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(
            value, ensure_ascii=False
        )  # a JSON string is a TOML basic string (checked on write)
    if isinstance(value, BaseModel):
        return _toml_value(value.model_dump())
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def write_home_file(home: Path, values: dict[str, Any]) -> Path:
    """Replace the home file with `values` (None = leave the setting to its default), atomically.

    Written by hand: the file is flat (scalars, lists, inline tables) and tomlkit/tomli-w are not direct
    dependencies; the text is parsed back with tomllib before it replaces the old file. Comments are not kept.
    """
    path = home_file_path(home)
    data = {key: value for key, value in sorted(values.items()) if value is not None}
    lines = [
        "# OpenFit settings of this home (see `openfit config show`); written by openfit build / config set."
    ]
    lines += [f"{key} = {_toml_value(value)}" for key, value in data.items()]
    text = "\n".join(lines) + "\n"
    expected = {key: _jsonable(value) for key, value in data.items()}
    if json.loads(json.dumps(tomllib.loads(text), default=str)) != expected:
        raise HomeFileError(f"refusing to write {path}: the values do not round-trip through TOML")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, date):
        return value.isoformat()
    return value


def data_settings(settings: Settings) -> dict[str, Any]:
    """The settings that shape the published data, as JSON values (what build_info records)."""
    return {name: _jsonable(getattr(settings, name)) for name in DATA_SETTINGS}


def settings_hash(settings: Settings) -> str:
    """A short digest of data_settings: equal hashes, equal settings behind the numbers."""
    return hashlib.sha256(json.dumps(data_settings(settings), sort_keys=True).encode()).hexdigest()[:16]


def record_in_home_file(settings: Settings) -> dict[str, Any]:
    """Write into the home file every data-shaping setting where `settings` (flags, environment) differs from
    what the home file and the defaults alone would give, so that later runs in this home build the same data.
    Returns what changed (name -> new value)."""
    stored = read_home_file(settings.home_dir)
    changed: dict[str, Any] = {}
    for name in DATA_SETTINGS:
        default = Settings.model_fields[name].get_default(call_default_factory=True)
        current = getattr(settings, name)
        if current != (parse_setting(name, stored[name]) if name in stored else default):
            changed[name] = current
    if changed:
        write_home_file(settings.home_dir, {**stored, **changed})
    return changed


# ------------------------------------------------------------------------------------------- effective settings

# Values given on this process's command line (flags); the highest layer. The CLI sets them per command.
_command_line: dict[str, Any] = {}


def set_command_line(**values: Any) -> None:
    """Flags given to this command (None = not given); they beat the environment and the home file."""
    _command_line.clear()
    _command_line.update({key: value for key, value in values.items() if value is not None})
    get_settings.cache_clear()


def setting_origins(settings: Settings | None = None) -> dict[str, str]:
    """Where each setting's effective value comes from: flag, env, .env, home file or default."""
    settings = settings or get_settings()
    layers = [
        ("flag", _command_line),
        ("env", EnvSettingsSource(Settings)()),
        (".env", DotEnvSettingsSource(Settings)()),
        ("home file", read_home_file(settings.home_dir)),
    ]
    origins = {}
    for name in Settings.model_fields:
        origins[name] = next((label for label, values in layers if name in values), "default")
    return origins


def display_value(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    if is_secret(name) or isinstance(value, SecretStr):
        return "********" if value else ""
    if value is None:
        return ""
    return json.dumps(_jsonable(value)) if isinstance(value, list) else str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (flags, environment, home file, defaults). Tests that change env vars call
    `get_settings.cache_clear()`. Raises HomeFileError for a malformed home file."""
    return Settings(**_command_line)
