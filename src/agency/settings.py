"""One settings object, read from the environment (prefix ``AGENCY_``).

Every setting is documented in the README's Configuration table. A missing or
invalid value raises :class:`agency.errors.ConfigurationError` whose message
names the environment variable, never a pydantic traceback.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agency.errors import ConfigurationError

ENV_PREFIX = "AGENCY_"


def _default_data_dir() -> Path:
    # As root the embedded PostgreSQL runs as the 'postgres' OS user, which
    # cannot enter /root; /var/lib is the conventional traversable place.
    import os

    return Path("/var/lib/agency") if os.geteuid() == 0 else Path.cwd() / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # --- database -------------------------------------------------------
    # Runtime role (NOSUPERUSER, NOBYPASSRLS, owns nothing). Empty = embedded server.
    database_url: str | None = None
    # Owner role that runs alembic. Default: database_url with the user set to owner_role.
    migrator_database_url: str | None = None
    # BYPASSRLS role for the enumerated cross-tenant jobs. Default: user set to system_role.
    system_database_url: str | None = None
    owner_role: str = "agency_owner"
    app_role: str = "agency_app"
    system_role: str = "agency_system"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_connect_timeout: float = Field(default=5.0, gt=0)

    # --- embedded PostgreSQL (used only when database_url is empty) -------
    data_dir: Path = Field(default_factory=_default_data_dir)
    embedded_pg_port: int = Field(default=54329, ge=1024, le=65535)
    postgres_bin_dir: Path | None = None

    # --- broker -----------------------------------------------------------
    # redis://host:port/db. Empty = background jobs run on an in-process worker.
    broker_url: str | None = None
    worker_processes: int = Field(default=2, ge=1, le=64)
    worker_threads: int = Field(default=4, ge=1, le=64)

    # --- keys (PHI encryption) --------------------------------------------
    key_provider: Literal["local", "aws-kms"] = "local"
    keystore_dir: Path | None = None  # default: <data_dir>/keystore
    kms_endpoint_url: str | None = None
    kms_region: str = "us-east-1"
    key_cache_ttl_seconds: int = Field(default=300, ge=1, le=3600)

    # --- HTTP -------------------------------------------------------------
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Login attempts (password and TOTP forms) per source address per minute, per API process.
    login_rate_per_minute: int = Field(default=20, ge=1, le=10_000)

    @field_validator("database_url", "migrator_database_url", "system_database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if not value:
            return None
        scheme = urlsplit(value).scheme.split("+")[0]
        if scheme not in ("postgresql", "postgres"):
            raise ValueError(
                "must be a postgresql:// URL (PostgreSQL is the only database: "
                "tenant isolation relies on row-level security)"
            )
        return value

    @field_validator("broker_url")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if not value:
            return None
        if urlsplit(value).scheme not in ("redis", "rediss"):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def resolved_keystore_dir(self) -> Path:
        return self.keystore_dir or (self.data_dir / "keystore")

    def derived_url(self, role: str) -> str:
        """database_url with its user replaced by ``role`` (password dropped)."""
        if self.database_url is None:
            raise ConfigurationError("AGENCY_DATABASE_URL is not set")
        return with_user(self.database_url, role, password=None)

    @property
    def owner_url(self) -> str:
        return self.migrator_database_url or self.derived_url(self.owner_role)

    @property
    def system_url(self) -> str:
        return self.system_database_url or self.derived_url(self.system_role)


def with_user(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = user + (f":{password}" if password else "") + "@" + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn validation errors into one message per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ENV_PREFIX + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise ConfigurationError("invalid configuration:\n  " + "\n  ".join(lines)) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
