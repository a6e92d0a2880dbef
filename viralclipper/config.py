"""All settings, read from the environment (and an optional `.env` file).

Nothing else in the code base reads `os.environ`: everything goes through `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CRITERIA_DIR = Path(__file__).resolve().parent.parent / "criteria"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        Path("./data"), validation_alias=AliasChoices("VIRALCLIPPER_DATA_DIR", "data_dir")
    )
    database_url: str | None = None
    redis_url: str | None = None

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = 120.0
    llm_context_chars: int = 48_000

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

    criteria_dir: Path = CRITERIA_DIR
    analyzer: Literal["auto", "llm", "offline"] = "auto"
    min_clip_seconds: float = 15.0
    max_clip_seconds: float = 60.0
    min_score: float = 0.0
    max_clips: int = 8
    output_format: Literal["horizontal", "vertical"] = "horizontal"

    queue_name: str = "viralclipper"
    worker_count: int = 2
    worker_type: Literal["thread", "process"] = "thread"
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

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: `DATABASE_URL`, else a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'viralclipper.db').resolve()}"

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


@lru_cache
def get_settings() -> Settings:
    return Settings()
