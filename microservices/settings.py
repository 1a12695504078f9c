"""The knobs of both architectures in one place: timeouts, retries, breaker, bulkhead, faults.

Every field is an environment variable prefixed `MICROSERVICES_`; the defaults are safe for local use.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MicroservicesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MICROSERVICES_", extra="ignore")

    # Where the messages service finds the accounts service (the demo passes a free port).
    accounts_url: str = "http://127.0.0.1:8101"
    price_cents: int = Field(default=1, ge=0)

    # Timeouts on every call: connecting, and the whole attempt (httpx's own are per phase).
    connect_timeout_s: float = Field(default=0.2, gt=0)
    total_timeout_s: float = Field(default=0.5, gt=0)
    pool_size: int = Field(default=20, ge=1, le=1_000)

    # Retries of idempotent calls: full-jitter backoff, bounded by attempts, a deadline and a budget.
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base_s: float = Field(default=0.02, gt=0)
    backoff_cap_s: float = Field(default=0.2, gt=0)
    retry_deadline_s: float = Field(default=1.0, gt=0)
    # A retry costs one token; each request earns `retry_ratio` tokens, up to `retry_reserve`.
    retry_ratio: float = Field(default=0.2, ge=0, le=1)
    retry_reserve: int = Field(default=10, ge=0)

    # Circuit breaker: open after this many failures in a row, probe again after the reset timeout.
    breaker_enabled: bool = True
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_reset_timeout_s: float = Field(default=1.0, gt=0)

    # Bulkhead: at most this many calls in flight to the accounts service; the next waits this long.
    bulkhead_max_concurrent: int = Field(default=20, ge=1)
    bulkhead_max_wait_s: float = Field(default=0.05, ge=0)

    # Fallback: an account check this recent may stand in when the accounts service cannot answer.
    fallback_max_age_s: float = Field(default=60.0, ge=0)

    # Runtime fault injection on the accounts service: off unless asked for, and loopback only.
    fault_injection: bool = False
    fault_seed: int | None = None

    # The billing consumer's stream and group (the outbox, relay and consumer are queue_demo's).
    billing_stream: str = "microservices:billing"
    billing_group: str = "billing"
    billing_dead_letters: str = "microservices:billing:dead"
