"""The scaling experiments' knobs, read once from `SCALING_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScalingSettings(BaseSettings):
    """What one instance of the target app does; every field is `SCALING_<NAME>`.

    Redis and PostgreSQL URLs are not here: they come from `backing_services`.
    """

    model_config = SettingsConfigDict(env_prefix="SCALING_", extra="ignore")

    # Shown in the `X-Instance` header (with the process id), so a client sees who served it.
    instance_name: str = Field(default="solo", min_length=1, max_length=32, pattern=r"^[\w.-]+$")
    # Pure-Python loop iterations for GET /cpu: a few milliseconds of one core at the default.
    cpu_default_n: int = Field(default=20_000, ge=1, le=5_000_000)
    cpu_max_n: int = Field(default=5_000_000, ge=1)
    # GET /io waits on PostgreSQL (`pg_sleep`) this long: a slow query stand-in.
    io_default_wait_ms: int = Field(default=20, ge=0, le=1_000)
    # Connections per instance: with I/O-bound work this, not the CPU, caps one instance.
    db_pool_size: int = Field(default=4, ge=1, le=50)
    # The per-client limit behind /limited/{store}: capacity tokens, refilled very slowly, so
    # a bounded experiment sees exactly `capacity` admitted per bucket.
    limit_capacity: int = Field(default=10, ge=1, le=10_000)
    limit_refill_per_second: float = Field(default=0.01, gt=0, le=1_000)
    key_prefix: str = Field(default="scaling", min_length=1, pattern=r"^[\w.:-]+$")
    session_ttl_s: int = Field(default=600, ge=1)
    # An in-memory store must be bounded too; the oldest session goes first.
    memory_sessions_max: int = Field(default=10_000, ge=1)
