"""The one place the environment is read for the services every package shares."""

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings shared by every package; each field is an environment variable of the same name.

    `redis_url` and `database_url` stay `None` when unset: the resolver then tries Docker
    (testcontainers) and otherwise explains how to provide the services.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    redis_url: str | None = None
    database_url: str | None = None
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    # How long a demo or test waits for a service to answer before it gives up, in seconds.
    service_connect_timeout_s: float = 2.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
