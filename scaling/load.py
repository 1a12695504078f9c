"""A load generator bounded in count and in time: asyncio tasks sharing one httpx client.

It records each request's latency, status and serving instance (the `X-Instance` header).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from backing_services.measure import percentile
from scaling.target_app import INSTANCE_HEADER


@dataclass
class LoadResult:
    elapsed_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # (instance, status)
    transport_errors: int = 0

    @property
    def statuses(self) -> Counter[int]:
        statuses: Counter[int] = Counter()
        for (_, status), n in self.answers.items():
            statuses[status] += n
        return statuses

    @property
    def instances(self) -> Counter[str]:
        instances: Counter[str] = Counter()
        for (instance, _), n in self.answers.items():
            instances[instance] += n
        return instances

    def served_by(self, status: int) -> Counter[str]:
        """How many answers with this status each instance gave."""
        return Counter({i: n for (i, s), n in self.answers.items() if s == status})

    @property
    def completed(self) -> int:
        return len(self.latencies_s)

    @property
    def per_second(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s else 0.0

    def add(self, other: LoadResult) -> None:
        """Fold another run into this one (rounds of the same measurement)."""
        self.elapsed_s += other.elapsed_s
        self.latencies_s += other.latencies_s
        self.answers += other.answers
        self.transport_errors += other.transport_errors

    def percentile_ms(self, percent: int) -> float:
        """The repo's one percentile (`backing_services.measure`), in ms; 0 when nothing completed."""
        return 1000 * percentile(self.latencies_s, percent) if self.latencies_s else 0.0


async def run_load(
    urls: Sequence[str],
    path: str,
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
    method: str = "GET",
    params: Mapping[str, str | int] | None = None,
    keepalive: bool = True,
) -> LoadResult:
    """Send up to `requests` requests from `concurrency` tasks, stopping at `max_seconds`.

    Several `urls` are used in turn: client-side round robin, when there is no load balancer.
    `keepalive=False` opens a connection per request, as many small clients would.
    """
    if requests < 1 or concurrency < 1 or not max_seconds > 0:
        raise ValueError("requests, concurrency and max_seconds must all be positive")
    if not urls:
        raise ValueError("give at least one URL to send load to")
    result = LoadResult()
    tickets = iter(range(requests))  # each task takes the next ticket; none is sent twice
    targets = itertools.cycle(urls)
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency if keepalive else 0
    )
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        deadline = time.monotonic() + max_seconds

        async def worker() -> None:
            for _ in tickets:
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await client.request(method, next(targets) + path, params=params)
                except httpx.TransportError:
                    result.transport_errors += 1
                    continue
                result.latencies_s.append(time.perf_counter() - started)
                instance = response.headers.get(INSTANCE_HEADER, "?")
                result.answers[instance, response.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result
