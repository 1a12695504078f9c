"""Why must instances be stateless? Count what N copies admit and remember, state in memory vs Redis.

Memory: each copy has its own bucket and sessions, so N copies admit N × the limit and lose sessions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from scaling.load import run_load
from scaling.target_app import INSTANCE_HEADER, Store


@dataclass(frozen=True)
class LimiterOutcome:
    store: Store
    instances: int
    limit: int
    sent: int
    admitted: int
    admitted_by: Counter[str]

    @property
    def times_the_limit(self) -> float:
        return self.admitted / self.limit


async def limiter_across_instances(
    urls: Sequence[str], store: Store, *, client: str, limit: int, instances: int, sent: int
) -> LimiterOutcome:
    """One client sends `sent` requests, one at a time, spread over the instances."""
    result = await run_load(
        urls,
        f"/limited/{store}",
        method="POST",
        params={"client": client},
        requests=sent,
        concurrency=1,  # one caller, in order: the count depends on state, not on races
        max_seconds=60,
    )
    if result.transport_errors or set(result.statuses) - {200, 429}:
        raise RuntimeError(f"unexpected answers from the instances: {dict(result.statuses)}")
    return LimiterOutcome(
        store=store,
        instances=instances,
        limit=limit,
        sent=result.completed,
        admitted=result.statuses[200],
        admitted_by=result.served_by(200),
    )


@dataclass(frozen=True)
class SessionOutcome:
    store: Store
    instances: int
    reads: int
    found: int
    written_on: str


async def sessions_across_instances(
    urls: Sequence[str], store: Store, *, session_id: str, instances: int, reads: int
) -> SessionOutcome:
    """Log in once (one PUT), then read the session `reads` times through the same entry point."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        saved = await http.put(f"{urls[0]}/sessions/{store}/{session_id}", json={"user": "ada"})
        saved.raise_for_status()
    result = await run_load(
        urls, f"/sessions/{store}/{session_id}", requests=reads, concurrency=1, max_seconds=60
    )
    if result.transport_errors or set(result.statuses) - {200, 404}:
        raise RuntimeError(f"unexpected answers from the instances: {dict(result.statuses)}")
    return SessionOutcome(
        store=store,
        instances=instances,
        reads=result.completed,
        found=result.statuses[200],
        written_on=saved.headers[INSTANCE_HEADER],
    )
