"""Settings, read from the environment (prefix POHUB_) and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pohub import secret_key as installation_key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POHUB_", env_file=".env", extra="ignore")

    # SQLite file under ./var by default; any SQLAlchemy URL (postgresql://...) otherwise.
    database_url: str = "sqlite:///./var/pohub.db"
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 5 * 1024 * 1024
    # API keys are looked up by hash; a hit is remembered this long (a revoked key stops working
    # within this many seconds on every process).
    key_cache_seconds: float = 30.0
    db_pool_size: int = 10
    # SQLite: at most this many write units share one COMMIT while others queue (1: each commits
    # alone; docs/operations.md). The same default as db.engine.GROUP_COMMIT (a test holds them equal).
    sqlite_group_commit: int = Field(default=8, ge=1)
    log_level: str = "info"
    # Signs dashboard cookies and seals webhook secrets. Unset: generated once and kept in
    # secret_key_file (default: beside the SQLite database, else ./var/pohub-secret.key).
    secret_key: str = ""
    secret_key_file: Path | None = None
    # Where people reach the dashboard (for invitation links); default http://HOST:PORT.
    public_url: str | None = None

    # Webhooks: attempts before a delivery is dead-lettered, and the exponential backoff between them.
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 10.0
    webhook_backoff_max_seconds: float = 3600.0
    webhook_timeout_seconds: float = 10.0
    # Background jobs (bulk imports, deliveries).
    worker_poll_seconds: float = 1.0
    job_lease_seconds: float = 30.0
    job_batch_size: int = 200
    embedded_worker: bool = True  # PostgreSQL only; SQLite always embeds its one worker
    # Set by `pohub serve --workers K` in each of its processes (0 … K-1). On SQLite the worker must be
    # the only one (it voids every lease when it starts), so only process 0 embeds it.
    serve_process: int = 0
    bulk_max_body_bytes: int = 512 * 1024 * 1024
    # An inventory broadcast is applied while the client waits, in one transaction: 64 MiB is about
    # a million CSV rows.
    inventory_max_body_bytes: int = 64 * 1024 * 1024
    # Retention: the bodies of settled exchanges older than this are pruned by the worker (0: never).
    retention_days: float = 90.0
    retention_check_seconds: float = 3600.0
    # PostgreSQL: how often the worker folds order_counts' rows of closed connections (documents/counts.py).
    counts_compaction_seconds: float = 600.0

    @model_validator(mode="after")
    def _installation_key(self) -> Settings:
        if not self.secret_key:
            self.secret_key = installation_key.for_database(self.database_url, self.secret_key_file)
        return self

    # Operations (docs/operations.md).
    log_format: str = "text"  # "json": one JSON object per line
    metrics_token: str | None = None  # /metrics wants "Authorization: Bearer <token>" when set
    metrics_address: str | None = None  # "host:port": /metrics only on this listener, not on the API's
    rate_limits: str = "off"  # "logicbroker", "logicbroker-v1", or rules such as "search=1/2s:25,writes=10/1s:100"
    redis_url: str | None = None  # rate-limit counters in Redis instead of the database
    heartbeat_seconds: float = 10.0  # how often servers and workers note they are alive
    ready_timeout_seconds: float = 2.0  # a readiness check slower than this fails


@lru_cache
def get_settings() -> Settings:
    return Settings()
