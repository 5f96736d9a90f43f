"""Settings from ``REGENAID_*`` environment variables, validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'regenaid.db'}"


class Settings(BaseSettings):
    """Application settings. ``database_url`` defaults to an embedded SQLite file under ``var/``;
    a ``postgresql+psycopg://`` URL selects PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="REGENAID_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=_default_database_url)
    secret_key: str = "dev-only-not-secret"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == "dev-only-not-secret":
            raise ValueError("REGENAID_SECRET_KEY must be set when REGENAID_ENVIRONMENT=production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
