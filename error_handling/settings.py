"""The knobs of the error-handling package; each is an `ERROR_HANDLING_<NAME>` variable."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ErrorHandlingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERROR_HANDLING_", extra="ignore")

    # None: JSON lines in production, console lines in development (backing_services' ENVIRONMENT).
    log_json: bool | None = None
    # How long a claimed Idempotency-Key blocks duplicates while its first request runs.
    idempotency_lock_ms: int = Field(default=60_000, gt=0)
    # How long a finished request's response is replayed for its key (Stripe keeps 24 hours).
    idempotency_retention_ms: int = Field(default=24 * 3600 * 1000, gt=0)
