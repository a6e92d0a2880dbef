"""All settings, read from the environment (and an optional `.env` file).

Nothing else in the code base reads `os.environ`: everything goes through `get_settings()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

CRITERIA_DIR = Path(__file__).resolve().parent.parent / "criteria"

Analyzer = Literal["auto", "llm", "offline"]
OutputFormat = Literal["horizontal", "vertical"]
CaptionStyle = Literal["bold", "classic", "minimal"]  # the burned-in caption presets
Captions = Literal["auto", "none", "bold", "classic", "minimal"]  # auto: bold on vertical only
# how a vertical clip frames a wider source; split stacks two faces (else it works as auto)
Layout = Literal["auto", "center", "fit", "split"]
VerticalResolution = Literal["1080x1920", "720x1280"]
ClipSeconds = Annotated[float, Field(gt=0, le=3600)]
Score = Annotated[float, Field(ge=0, le=100)]
ClipCount = Annotated[int, Field(ge=1, le=100)]

BUNDLED_WHISPER = "bundled"  # the tiny.en model shipped with the app (works offline)
# "auto": on a CUDA GPU a large, fast multilingual model (fetched once into the data dir's
# models/ folder), on the CPU the bundled one
AUTO_WHISPER = "auto"
AUTO_GPU_WHISPER = "large-v3-turbo"
# The names faster-whisper downloads from the hub; an admin may pick one in the web app. A local
# path is only taken from the environment (WHISPER_MODEL), never from the web.
WHISPER_MODELS = (
    "tiny.en",
    "tiny",
    "base.en",
    "base",
    "small.en",
    "small",
    "medium.en",
    "medium",
    "large-v1",
    "large-v2",
    "large-v3",
    "large",
    "distil-large-v2",
    "distil-medium.en",
    "distil-small.en",
    "distil-large-v3",
    "distil-large-v3.5",
    "large-v3-turbo",
    "turbo",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        Path("./data"), validation_alias=AliasChoices("VIRALCLIPPER_DATA_DIR", "data_dir")
    )
    database_url: str | None = None
    redis_url: str | None = None
    # the longest wait to connect to Redis and for each of its answers; above the 1 s that a
    # worker's blocking read of the queue waits for a task
    redis_timeout_seconds: float = Field(5.0, gt=1.0)

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = 120.0
    llm_context_chars: int = 48_000
    # an analysis whose LLM call fails (unreachable, 5xx, 429, quota, invalid output) is ranked
    # by the offline analyzer instead, and says so; False: the analysis fails
    llm_fallback: bool = True

    whisper_model: str | None = None
    whisper_device: Literal["auto", "cpu", "cuda"] = "auto"
    whisper_compute_type: str = "auto"
    whisper_language: str | None = None
    whisper_batch_size: int = 8
    whisper_batched: bool = True
    whisper_cpu_threads: int = 0  # 0: one per CPU core

    ffmpeg_binary: str | None = None
    max_video_minutes: float = 180.0
    max_video_height: int = 1080
    max_download_mb: int = Field(4096, gt=0)  # a download that grows past this is stopped
    allow_private_urls: bool = False  # True: users' URLs may reach loopback/private addresses
    ytdlp_cookies_file: Path | None = None
    # downloads, audio and transcripts that finished jobs still use; least recently used go first
    cache_max_gb: float = Field(50.0, ge=0)

    # the defaults of every user's clip settings (ClipSettings below)
    criteria_dir: Path = CRITERIA_DIR
    analyzer: Analyzer = "auto"
    min_clip_seconds: ClipSeconds = 15.0
    max_clip_seconds: ClipSeconds = 60.0
    min_score: Score = 0.0
    max_clips: ClipCount = 8
    output_format: OutputFormat = "horizontal"
    layout: Layout = "auto"
    captions: Captions = "auto"
    vertical_resolution: VerticalResolution = "1080x1920"
    normalize_loudness: bool = True

    queue_name: str = "viralclipper"
    worker_count: int = 2
    worker_type: Literal["thread", "process"] = "thread"
    # added to a worker process's niceness, so the web process wins the CPU from media work
    worker_niceness: int = Field(10, ge=0, le=19)
    max_concurrent_transcriptions: int = 1
    heartbeat_seconds: float = 5.0
    stale_after_seconds: float = 30.0
    recovery_interval_seconds: float = 15.0
    progress_interval_seconds: float = 0.5

    # the web app (`viralclipper serve`)
    host: str = "0.0.0.0"
    port: int = 8080
    storage_secret: str | None = None  # None: generated once and kept in the data dir
    registration_open: bool = True  # False: only an admin adds users (the first user always may)
    max_upload_mb: int = 4096
    login_attempts: int = 5  # failed logins per account ...
    login_client_attempts: int = 20  # ... and per client address (all accounts together) ...
    login_window_seconds: float = 300.0  # ... within this many seconds before logins are refused
    secure_cookies: bool = False  # True: the session cookie is only sent over HTTPS
    base_url: str = "http://localhost:8080"  # where users reach the web app (OAuth redirects)

    # publishing to YouTube: the Google OAuth client, from a client-secrets JSON file or its id
    # and secret; the API root may be moved (a proxy, a test server)
    youtube_client_secrets: Path | None = None
    youtube_client_id: str | None = None
    youtube_client_secret: str | None = None
    youtube_api_url: str = "https://youtube.googleapis.com/"
    youtube_daily_quota: int = Field(10_000, gt=0)  # the Google project's units per day
    metrics_token: str | None = None  # set: /metrics wants `Authorization: Bearer <it>`
    api_requests_per_minute: int = Field(600, ge=0)  # per user, beyond it 429; 0: no limit
    # webhooks: tries per event, the first retry's delay (doubling each time), one try's timeout
    webhook_attempts: int = Field(5, ge=1, le=20)
    webhook_retry_seconds: float = Field(10.0, gt=0)
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per log line

    @model_validator(mode="after")
    def _clip_defaults_agree(self) -> Settings:
        self.clip_defaults()  # MIN_CLIP_SECONDS > MAX_CLIP_SECONDS fails at start-up
        return self

    def clip_defaults(self) -> ClipSettings:
        """The clip settings a new user starts with."""
        return ClipSettings.model_validate(self.model_dump(include=CLIP_DEFAULTS))

    def with_instance(self, instance: InstanceSettings) -> Settings:
        """These settings with the admin's instance settings (those that are set) laid over."""
        overrides = {
            "openai_base_url": instance.llm_base_url,
            "openai_model": instance.llm_model,
            "openai_api_key": instance.llm_api_key,
            "whisper_model": instance.whisper_model,
        }
        return self.model_copy(update={k: v for k, v in overrides.items() if v is not None})

    @cached_property
    def database(self) -> str:
        """The SQLAlchemy URL: `DATABASE_URL`, else a SQLite file in the data dir. Kept: every
        database session asks for it, and resolving the path costs system calls."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'viralclipper.db').resolve()}"

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def youtube_redirect_uri(self) -> str:
        return f"{self.base_url.rstrip('/')}/youtube/callback"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


@lru_cache
def get_settings() -> Settings:
    return Settings()


class SettingsError(ValueError):
    """A setting a person has to fix; the message is one sentence saying which and how."""


M = TypeVar("M", bound=BaseModel)


def validate_settings(model: type[M], values: Mapping[str, Any]) -> M:
    """`values` as a `model`, or SettingsError with one sentence about the first bad value."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(one_sentence(model, exc)) from None


def one_sentence(model: type[BaseModel], error: ValidationError) -> str:
    return _sentence(model, error.errors()[0])


def problems(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, str]:
    """Each bad value of `values` as {where: the sentence validate_settings would give}, so a
    form can say it next to its field: `where` is the field ("max_clips"), or inside a list
    "criteria.0.title". Empty when `values` are good."""
    try:
        model.model_validate(values)
    except ValidationError as error:
        found: dict[str, str] = {}
        for detail in error.errors():
            found.setdefault(_where(detail), _sentence(model, detail))
        return found
    return {}


def _where(detail: ErrorDetails) -> str:
    field = detail.get("ctx", {}).get("field")  # a check across fields names where it speaks
    return str(field) if field else ".".join(str(part) for part in detail["loc"])


def _sentence(model: type[BaseModel], first: ErrorDetails) -> str:
    kind, ctx, loc = first["type"], first.get("ctx", {}), first["loc"]
    label = _label(model, loc)
    if kind == "extra_forbidden":
        return f"Unknown setting: {loc[-1]}."
    if kind == "value_error":
        return str(ctx["error"])
    if "field" in ctx:  # a check across fields: its message is the sentence
        return first["msg"]
    if first["input"] is None or kind in ("missing", "string_too_short"):
        return f"Fill in {label[0].lower()}{label[1:]}."
    limits = {
        "greater_than": f"more than {_number(ctx.get('gt'))}",
        "greater_than_equal": f"at least {_number(ctx.get('ge'))}",
        "less_than": f"less than {_number(ctx.get('lt'))}",
        "less_than_equal": f"at most {_number(ctx.get('le'))}",
        "literal_error": f"one of {ctx.get('expected')}",
        "int_from_float": "a whole number",
    }
    if kind in limits:
        return f"{label} must be {limits[kind]}."
    if kind.startswith(("float_", "int_")):
        return f"{label} must be a number."
    return f"{label}: {first['msg']}."


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _label(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "criteria" and isinstance(loc[1], int):
        return f"The {loc[2]} of criterion {loc[1] + 1}"
    field = model.model_fields.get(str(loc[0])) if loc else None
    if field and field.title:
        return field.title
    return f"The {str(loc[0]).replace('_', ' ')}" if loc else "The settings"


def redact_url(url: str | None) -> str | None:
    """`url` without credentials: no user:password@, no query string or fragment."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Criterion(BaseModel):
    """What makes a moment worth clipping (see pipeline/criteria.py for the file format)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, revalidate_instances="always"
    )

    key: str = Field(min_length=1, title="The key")
    title: str = Field(min_length=1, title="The title")
    text: str = Field(min_length=1, title="The text")
    enabled: bool = True

    @property
    def phrases(self) -> list[str]:
        return [
            line.strip()[2:].strip().lower()
            for line in self.text.splitlines()
            if line.strip().startswith("- ") and line.strip()[2:].strip()
        ]

    @property
    def signals(self) -> list[str]:
        for line in self.text.splitlines():
            if line.strip().lower().startswith("signals:"):
                return [s.strip().lower() for s in line.split(":", 1)[1].split(",") if s.strip()]
        return []

    @classmethod
    def parse(cls, key: str, text: str, enabled: bool = True) -> Criterion:
        first = next((line.strip() for line in text.splitlines() if line.strip()), key)
        return cls(key=key, title=first.lstrip("# ").strip(), text=text.strip(), enabled=enabled)


class ClipSettings(BaseModel):
    """What shapes a user's clips: stored per user, snapshotted into each job, and given to
    `viralclipper process`. A value left out takes the environment's default."""

    model_config = ConfigDict(extra="forbid")

    criteria: list[Criterion] | None = Field(None, title="The criteria")  # None: the files
    min_clip_seconds: ClipSeconds = Field(title="The minimum clip length in seconds")
    max_clip_seconds: ClipSeconds = Field(title="The maximum clip length in seconds")
    min_score: Score = Field(title="The minimum score")
    max_clips: ClipCount = Field(title="The maximum number of clips")
    output_format: OutputFormat = Field(title="The output format")
    analyzer: Analyzer = Field(title="The analyzer")
    layout: Layout = Field(title="The vertical layout")
    captions: Captions = Field(title="The captions")
    vertical_resolution: VerticalResolution = Field(title="The vertical resolution")
    normalize_loudness: bool = Field(title="Loudness normalisation")

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, values: Any) -> Any:
        if not isinstance(values, Mapping) or set(CLIP_DEFAULTS) <= set(values):
            return values
        return {**get_settings().model_dump(include=CLIP_DEFAULTS), **values}

    @field_validator("criteria")
    @classmethod
    def _unique_keys(cls, criteria: list[Criterion] | None) -> list[Criterion] | None:
        keys = [c.key for c in criteria or []]
        if len(keys) != len(set(keys)):
            raise ValueError("Two criteria have the same key.")
        return criteria

    @model_validator(mode="after")
    def _lengths_in_order(self) -> ClipSettings:
        if self.min_clip_seconds > self.max_clip_seconds:
            raise PydanticCustomError(
                "clip_lengths",
                "The shortest clip must not be longer than the longest ({longest} s).",
                {"longest": _number(self.max_clip_seconds), "field": "min_clip_seconds"},
            )
        return self

    @property
    def vertical_size(self) -> tuple[int, int]:
        width, height = self.vertical_resolution.split("x")
        return int(width), int(height)

    def updated(self, **changes: Any) -> ClipSettings:
        """A copy with `changes`, validated (SettingsError)."""
        return validate_settings(ClipSettings, {**self.model_dump(), **changes})


class SubmitOptions(BaseModel):
    """What a submit may choose for its own job over the user's clip settings (the options panel
    of the web app, `options` in the REST API); a value left out is the user's."""

    model_config = ConfigDict(extra="forbid")

    output_format: OutputFormat | None = Field(None, title="The output format")
    max_clips: ClipCount | None = Field(None, title="The maximum number of clips")
    min_clip_seconds: ClipSeconds | None = Field(None, title="The minimum clip length in seconds")
    max_clip_seconds: ClipSeconds | None = Field(None, title="The maximum clip length in seconds")
    captions: Captions | None = Field(None, title="The captions")

    def over(self, settings: ClipSettings) -> ClipSettings:
        """`settings` with these options laid over, validated (SettingsError)."""
        return settings.updated(**self.model_dump(exclude_none=True))


CLIP_DEFAULTS = {name for name in ClipSettings.model_fields if name != "criteria"}
# the render settings a single clip may have of its own
CLIP_RENDER_SETTINGS = frozenset({"output_format", "layout", "captions"})
# the clip settings that choose the moments; every other one shapes how a clip is rendered
ANALYSIS_SETTINGS = frozenset(
    {"criteria", "min_clip_seconds", "max_clip_seconds", "min_score", "max_clips", "analyzer"}
)


class InstanceSettings(BaseModel):
    """The admin's settings for the whole instance, stored in the database; a value that is not
    set (None) falls back to the environment (OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_API_KEY,
    WHISPER_MODEL)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    llm_base_url: str | None = Field(None, title="The LLM base URL")
    llm_model: str | None = Field(None, title="The LLM model")
    llm_api_key: str | None = Field(None, title="The LLM API key")
    whisper_model: str | None = Field(None, title="The Whisper model")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_base_url")
    @classmethod
    def _plain_http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("The LLM base URL must be an http or https URL.")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError(
                "The LLM base URL must not carry credentials or a query string: "
                "put the key in the API key field."
            )
        return url

    @field_validator("whisper_model")
    @classmethod
    def _known_whisper_model(cls, name: str | None) -> str | None:
        if name is None or name in (BUNDLED_WHISPER, AUTO_WHISPER, *WHISPER_MODELS):
            return name
        raise ValueError(
            f"The Whisper model must be “{AUTO_WHISPER}”, “{BUNDLED_WHISPER}” or a model name "
            "such as tiny.en, "
            "small or large-v3 (a local path can only be set with WHISPER_MODEL)."
        )
