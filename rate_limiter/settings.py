"""The rate limiter's knobs, read once from `RATE_LIMITER_*` environment variables."""

from __future__ import annotations

import redis.asyncio
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


class RateLimiterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RATE_LIMITER_", extra="ignore")

    # A limiter sits in front of every request: if Redis stalls, give up in tens of milliseconds
    # and apply the failure policy, rather than holding requests for seconds.
    redis_timeout_s: float = Field(default=0.05, gt=0, le=5)
    key_prefix: str = "ratelimit"
    local_deny_cache: bool = True
    # Also send X-RateLimit-Limit / -Remaining / -Reset for clients that predate the IETF fields.
    legacy_headers: bool = False
    # How many proxies of yours stand in front of the app, each appending the address it got the
    # request from to X-Forwarded-For. 0: ignore the header. N: the client is the Nth entry from
    # the right; everything left of it is the client's to forge.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=16)


def limiter_redis(redis_url: str, settings: RateLimiterSettings) -> redis.asyncio.Redis:
    """A Redis client for the limiter: short timeouts and no retries, so an outage fails fast."""
    return redis.asyncio.Redis.from_url(
        redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(NoBackoff(), retries=0),
    )
