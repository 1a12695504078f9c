"""How is password guessing slowed down? Two token buckets per login attempt: one per username, one per client IP.

The per-username bucket stops a slow attack spread over many IPs; the per-IP one stops spraying many usernames.
A third bucket, per client IP, meters sign-ups, which would otherwise tell an attacker which usernames exist.
"""

from __future__ import annotations

import hashlib
import math

import redis.asyncio

from error_handling.problems import RateLimited
from rate_limiter import Decision, RedisTokenBucket

TOO_MANY_ATTEMPTS = "Too many login attempts; try again in {seconds} s."
TOO_MANY_SIGN_UPS = "Too many sign-ups from this client; try again in {seconds} s."


class LoginThrottle:
    def __init__(
        self,
        redis: redis.asyncio.Redis,
        *,
        prefix: str,
        per_username: tuple[int, float],
        per_ip: tuple[int, float],
        sign_ups_per_ip: tuple[int, float],
    ) -> None:
        self._by_username = RedisTokenBucket(
            redis, per_username[0], per_username[1], prefix=f"{prefix}:login:user"
        )
        self._by_ip = RedisTokenBucket(redis, per_ip[0], per_ip[1], prefix=f"{prefix}:login:ip")
        self._sign_ups = RedisTokenBucket(
            redis, sign_ups_per_ip[0], sign_ups_per_ip[1], prefix=f"{prefix}:register:ip"
        )

    async def check(self, username: str, client_ip: str) -> None:
        """Spend one attempt from each bucket, before any password is hashed; raise 429 when empty."""
        # Hashed so that Redis never holds a list of the usernames people typed (some are passwords).
        user_key = hashlib.sha256(username.encode()).hexdigest()[:32]
        _refuse_if_denied(await self._by_ip.acquire(client_ip), TOO_MANY_ATTEMPTS)
        _refuse_if_denied(await self._by_username.acquire(user_key), TOO_MANY_ATTEMPTS)

    async def check_sign_up(self, client_ip: str) -> None:
        """Spend one sign-up from this client's bucket, before any lookup or hash; raise 429 when empty."""
        _refuse_if_denied(await self._sign_ups.acquire(client_ip), TOO_MANY_SIGN_UPS)


def _refuse_if_denied(decision: Decision, message: str) -> None:
    if not decision.allowed:
        seconds = max(1, math.ceil(decision.retry_after_s))
        raise RateLimited(message.format(seconds=seconds), headers={"Retry-After": str(seconds)})
