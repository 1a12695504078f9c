"""How do you rehearse a dependency failing? Inject the failure at runtime: latency, errors, an outage.

A middleware in the accounts service applies the current faults to every request; an admin route sets them.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from fastapi import Request, Response
from pydantic import BaseModel, Field
from starlette.middleware.base import RequestResponseEndpoint

from error_handling.problems import problem_response
from microservices.deadlines import HEADER as TIMEOUT_HEADER

ADMIN_PREFIX = "/admin/"
INJECTED_ERROR = "injected fault: the accounts service failed on purpose"


class Faults(BaseModel):
    """What the service does to each non-admin request, from now on."""

    latency_s: float = Field(default=0.0, ge=0, le=10, description="added before answering")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="share answered with a 503")
    retry_after_s: int | None = Field(
        default=None, ge=0, le=3600, description="sent as `Retry-After` with each injected 503"
    )
    outage: bool = Field(default=False, description="accept, then never answer until switched off")


class FaultReport(Faults):
    requests: dict[str, int] = Field(description="non-admin requests received, by method")
    last_traceparent: str | None = Field(description="the trace header of the latest request")
    last_timeout_ms: str | None = Field(description="the deadline header of the latest request")


class FaultInjector:
    """Holds the current faults and counts what reached the service (the tests count retries with it)."""

    def __init__(self, seed: int | None = None) -> None:
        self.faults = Faults()
        self.requests: Counter[str] = Counter()
        self.last_traceparent: str | None = None
        self.last_timeout_ms: str | None = None
        self._random = random.Random(seed)
        self._outage_over = asyncio.Event()
        self._outage_over.set()

    def set(self, faults: Faults) -> FaultReport:
        self.faults = faults
        if faults.outage:
            self._outage_over.clear()
        else:
            self._outage_over.set()  # the requests held during the outage now go on
        return self.report()

    def report(self) -> FaultReport:
        return FaultReport(
            **self.faults.model_dump(),
            requests=dict(self.requests),
            last_traceparent=self.last_traceparent,
            last_timeout_ms=self.last_timeout_ms,
        )

    def release(self) -> None:
        """Free any request held by an outage (at shutdown, so the process can stop)."""
        self._outage_over.set()

    async def middleware(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path.startswith(ADMIN_PREFIX):
            return await call_next(request)
        self.requests[request.method] += 1
        self.last_traceparent = request.headers.get("traceparent")
        self.last_timeout_ms = request.headers.get(TIMEOUT_HEADER)
        # A black hole, not a refusal: the worst outage is one where the caller must time out.
        await self._outage_over.wait()
        if self.faults.latency_s:
            await asyncio.sleep(self.faults.latency_s)
        if self._random.random() < self.faults.error_rate:
            response = problem_response(503, INJECTED_ERROR, slug="upstream-unavailable")
            if self.faults.retry_after_s is not None:
                response.headers["Retry-After"] = str(self.faults.retry_after_s)
            return response
        return await call_next(request)
