"""How is password guessing slowed down? Two token buckets per login attempt: one per username, one per client IP.

The per-username bucket stops a slow attack spread over many IPs; the per-IP one stops spraying many usernames.
"""

from __future__ import annotations

import hashlib
import math

import redis.asyncio

from error_handling.problems import RateLimited
from rate_limiter import RedisTokenBucket

TOO_MANY_ATTEMPTS = "Too many login attempts; try again in {seconds} s."


class LoginThrottle:
    def __init__(
        self,
        redis: redis.asyncio.Redis,
        *,
        prefix: str,
        per_username: tuple[int, float],
        per_ip: tuple[int, float],
    ) -> None:
        self._by_username = RedisTokenBucket(
            redis, per_username[0], per_username[1], prefix=f"{prefix}:login:user"
        )
        self._by_ip = RedisTokenBucket(redis, per_ip[0], per_ip[1], prefix=f"{prefix}:login:ip")

    async def check(self, username: str, client_ip: str) -> None:
        """Spend one attempt from each bucket, before any password is hashed; raise 429 when empty."""
        # Hashed so that Redis never holds a list of the usernames people typed (some are passwords).
        user_key = hashlib.sha256(username.encode()).hexdigest()[:32]
        for decision in (
            await self._by_ip.acquire(client_ip),
            await self._by_username.acquire(user_key),
        ):
            if not decision.allowed:
                seconds = max(1, math.ceil(decision.retry_after_s))
                raise RateLimited(
                    TOO_MANY_ATTEMPTS.format(seconds=seconds),
                    headers={"Retry-After": str(seconds)},
                )
