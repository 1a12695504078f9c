"""The IETF `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers).

`RateLimit-Policy: "burst";q=10;w=1` states the limit; `RateLimit: "burst";r=3;t=1` what is left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rate_limiter.decision import Decision, Policy, binding


def policy_field(policies: Sequence[Policy]) -> str:
    # A bucket of q tokens refilled in w seconds allows q per w on average, q at once at most.
    return ", ".join(
        f'"{policy.name}";q={_whole(policy.capacity)};w={math.ceil(policy.window_s)}'
        for policy in policies
    )


def remaining_field(decisions: Sequence[Decision]) -> str:
    # r is whole units a client may still send; t is when the bucket is full again.
    return ", ".join(
        f'"{d.policy}";r={math.floor(d.remaining)};t={math.ceil(d.reset_after_s)}'
        for d in decisions
    )


def retry_after_field(decisions: Sequence[Decision]) -> str:
    # Whole seconds, rounded up: a client that waits exactly this long is admitted.
    return str(max(1, math.ceil(binding(list(decisions)).retry_after_s)))


def rate_limit_headers(
    policies: Sequence[Policy], decisions: Sequence[Decision], *, legacy: bool = False
) -> dict[str, str]:
    headers = {"RateLimit-Policy": policy_field(policies), "RateLimit": remaining_field(decisions)}
    if legacy:
        tightest = binding(list(decisions))
        limit = next(p.capacity for p in policies if p.name == tightest.policy)
        headers["X-RateLimit-Limit"] = _whole(limit)
        headers["X-RateLimit-Remaining"] = str(math.floor(tightest.remaining))
        headers["X-RateLimit-Reset"] = str(math.ceil(tightest.reset_after_s))
    return headers


def _whole(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"
