"""How would you design a rate-limiting system? A token bucket per caller, kept in Redis.

One atomic Lua script on Redis's clock serves every app instance; HTTP gets 429s and `RateLimit` headers.
"""

from rate_limiter.decision import Decision, Policy
from rate_limiter.fixed_window import FixedWindowCounter
from rate_limiter.redis_token_bucket import RedisTokenBucket
from rate_limiter.sliding_window import SlidingWindowLog
from rate_limiter.token_bucket import TokenBucket

__all__ = [
    "Decision",
    "FixedWindowCounter",
    "Policy",
    "RedisTokenBucket",
    "SlidingWindowLog",
    "TokenBucket",
]
