"""A token bucket every app instance shares: one Lua script, one round trip, Redis's clock.

Several policies (burst and sustained) are checked in the same call; a denial consumes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, TypeAlias

import redis.asyncio
from redis.exceptions import NoScriptError

from rate_limiter.decision import MICRO, Decision, Policy, binding, micro_cost, verdict

SCRIPT = files("rate_limiter").joinpath("token_bucket.lua").read_text(encoding="utf-8")
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()

ONE_TOKEN = str(MICRO).encode()  # the usual cost, encoded once

RedisClient: TypeAlias = "redis.asyncio.Redis | redis.asyncio.RedisCluster"


@dataclass(frozen=True, slots=True)
class _Denial:
    """What Redis said when it last denied a key, stamped with the local clock before asking."""

    asked_at: float
    server_time_s: float
    tokens: tuple[float, ...]
    useless_after: float  # by then every bucket is full, so this can deny nothing


class RedisTokenBucket:
    """Token buckets in Redis, one hash per caller and policy. Usage, inside a coroutine::

        bucket = RedisTokenBucket(redis, capacity=10, refill_per_second=10, prefix="api")
        decision = await bucket.acquire("account:42")  # Decision(allowed=True, remaining=9.0, ...)

    `extra_policies` adds limits checked in the same round trip, e.g. 1000 per hour on top.
    With `local_deny_cache`, a key Redis denied is denied here, without a round trip, until
    enough tokens could have refilled: tokens only come back at the rate, so this never over-admits.
    """

    def __init__(
        self,
        redis: RedisClient,
        capacity: float,
        refill_per_second: float,
        prefix: str = "ratelimit",
        *,
        name: str = "default",
        extra_policies: Sequence[Policy] = (),
        local_deny_cache: bool = True,
        local_clock: Callable[[], float] = time.monotonic,
        max_cached_denials: int = 10_000,
    ) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ValueError(f"prefix {prefix!r} must be non-empty and free of braces (hash tags)")
        self.policies = (Policy(name, capacity, refill_per_second), *extra_policies)
        if len({policy.name for policy in self.policies}) != len(self.policies):
            raise ValueError("policy names must be unique")
        self.capacity, self.refill_per_second, self.prefix = capacity, refill_per_second, prefix
        self._redis = redis
        self._smallest_capacity = min(policy.capacity for policy in self.policies)
        # Sent with every call: the script keeps no configuration, so changing a limit is a deploy.
        # Encoded once: turning numbers into protocol bytes on every call cost more than the
        # arithmetic (see the README's Measured section).
        # The command's name stays a str: RedisCluster routes on it.
        self._command = ("EVALSHA", SCRIPT_SHA.encode(), str(len(self.policies)).encode())
        self._shapes = tuple(str(number).encode() for number in script_shapes(self.policies))
        self._key_tails = tuple(f"}}:{policy.name}" for policy in self.policies)
        self._local_deny_cache = local_deny_cache
        self._clock = local_clock
        self._max_cached_denials = max_cached_denials
        self._denials: dict[str, _Denial] = {}

    def keys_for(self, key: str) -> list[str]:
        # The caller's key is the hash tag, so all its policies live in one Cluster slot.
        return [f"{self.prefix}:{{{key}{tail}" for tail in self._key_tails]

    async def acquire(self, key: str, cost: float = 1) -> Decision:
        """Take `cost` tokens from every policy, or from none; return the verdict that binds."""
        return binding(await self.acquire_all(key, cost))

    async def acquire_all(self, key: str, cost: float = 1) -> list[Decision]:
        """Like `acquire`, with one decision per policy (what the `RateLimit` header lists)."""
        cost_u = micro_cost(cost, self._smallest_capacity)
        asked_at = self._clock()
        if self._denials and (cached := self._denied_locally(key, cost, asked_at)):
            return cached
        cost_arg = ONE_TOKEN if cost_u == MICRO else str(cost_u).encode()
        reply = await self._evaluate(self.keys_for(key), (cost_arg, *self._shapes))
        decisions = decisions_from_reply(self.policies, cost_u, reply)
        allowed = reply[0] == 1
        if self._local_deny_cache and not allowed:
            self._remember_denial(key, asked_at, decisions[0].decided_at_s, decisions)
        return decisions

    async def _evaluate(self, keys: list[str], argv: tuple[bytes, ...]) -> list[Any]:
        try:
            return await self._redis.execute_command(*self._command, *keys, *argv)  # type: ignore[no-any-return]
        except NoScriptError:
            # A restart, a failover or SCRIPT FLUSH emptied the script cache: load once, retry once.
            await self._redis.script_load(SCRIPT)
            return await self._redis.execute_command(*self._command, *keys, *argv)  # type: ignore[no-any-return]

    def _denied_locally(self, key: str, cost: float, now: float) -> list[Decision] | None:
        denial = self._denials.get(key)
        if denial is None:
            return None
        # `asked_at` was read before the round trip, so `elapsed` over-counts the refill since
        # Redis decided: the estimate is an upper bound on the tokens Redis holds now.
        elapsed = now - denial.asked_at
        estimates = [
            min(policy.capacity, tokens + elapsed * policy.refill_per_second)
            for policy, tokens in zip(self.policies, denial.tokens, strict=True)
        ]
        if all(estimate >= cost for estimate in estimates):
            del self._denials[key]
            return None
        return [
            Decision(
                allowed=estimate >= cost,
                remaining=estimate,
                retry_after_s=max(0.0, (cost - estimate) / policy.refill_per_second),
                reset_after_s=(policy.capacity - estimate) / policy.refill_per_second,
                policy=policy.name,
                decided_at_s=denial.server_time_s + elapsed,
            )
            for policy, estimate in zip(self.policies, estimates, strict=True)
        ]

    def _remember_denial(
        self, key: str, asked_at: float, server_time_s: float, decisions: list[Decision]
    ) -> None:
        if len(self._denials) >= self._max_cached_denials:
            # Forgetting a denial is always safe (Redis is asked again), so the cache stays small.
            self._denials = {k: d for k, d in self._denials.items() if d.useless_after > asked_at}
            if len(self._denials) >= self._max_cached_denials:
                self._denials.clear()
        self._denials[key] = _Denial(
            asked_at=asked_at,
            server_time_s=server_time_s,
            tokens=tuple(d.remaining for d in decisions),
            useless_after=asked_at + max(d.reset_after_s for d in decisions),
        )


def script_shapes(policies: Sequence[Policy]) -> list[int]:
    """The script's arguments after the cost: each policy's capacity and rate, in micro-tokens."""
    return [number for policy in policies for number in (policy.capacity_u, policy.rate_u)]


def decisions_from_reply(
    policies: Sequence[Policy], cost_u: int, reply: Sequence[int]
) -> list[Decision]:
    """One decision per policy from the script's integers, with the in-memory bucket's arithmetic."""
    allowed, now_us = reply[0] == 1, reply[1]
    decided_at_s = now_us / MICRO
    return [
        verdict(policy, reply[2 * i + 2], reply[2 * i + 3], cost_u, allowed, decided_at_s)
        for i, policy in enumerate(policies)
    ]
