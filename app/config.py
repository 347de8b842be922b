"""Settings, read once from MOGI_* environment variables."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "mogi-development-secret-change-me"


class Settings(BaseSettings):
    """Every knob of a Mogi instance; see the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="MOGI_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = DEV_SECRET
    content_dir: Path = PROJECT_ROOT / "content"
    # Base URL for images of a pack's source repository, e.g.
    # https://raw.githubusercontent.com. Empty: images show their caption instead.
    remote_image_base: str = ""
    default_language: Literal["ko", "en"] = "ko"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Cookies get the Secure flag; set it when Mogi is served behind HTTPS.
    secure_cookies: bool = False
    # Addresses (IPs or CIDR ranges, comma-separated, or *) of reverse proxies whose
    # X-Forwarded-For / X-Forwarded-Proto are believed: the login rate limit then sees the real
    # client's address. Anything else connecting is taken at its own address.
    forwarded_allow_ips: str = "127.0.0.1"
    # Demos / worker
    mnist_dir: Path = Field(default=Path("var/mnist"))
    mnist_download: bool = True
    device: str = ""  # "", "cpu", "cuda", "cuda:1"...; empty picks CUDA when present.
    job_time_limit_s: float = Field(default=300.0, gt=0)
    job_lease_s: float = Field(default=30.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)
    user_active_jobs: int = Field(default=2, ge=1)  # queued + running per user
    queue_cap: int = Field(default=200, ge=1)  # queued jobs, all users together
    worker_poll_s: float = Field(default=0.25, gt=0)
    # Database: how much each web process asks of it, and how long it waits (README, "Capacity").
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_queue_timeout_s: float = Field(default=3.0, gt=0, le=60)
    db_queue_max: int = Field(default=50, ge=0, le=10_000)
    db_connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    db_statement_timeout_s: float = Field(default=10.0, gt=0, le=600)
    db_busy_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # The worker writes its state here every few seconds; `mogi health worker` reads it.
    worker_heartbeat_file: Path = Path(tempfile.gettempdir()) / "mogi-worker-heartbeat.json"
    # With MNIST missing, 0 makes the worker exit (status 2); N > 0 makes it say which files
    # are missing (log and health) and look again every N seconds (what containers want).
    mnist_wait_s: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'mogi.db').as_posix()}"
        if self.env == "production" and self.secret_key.strip() in ("", DEV_SECRET):
            raise ValueError(
                "MOGI_SECRET_KEY must be set to a long random value in production "
                "(e.g. the output of `openssl rand -hex 32`)"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache when they change env)."""
    return Settings()
