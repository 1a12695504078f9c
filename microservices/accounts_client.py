"""How should one service call another? Pooled connections, and every call bounded four ways:

a timeout, a bulkhead slot, a circuit breaker, and retries only when idempotent and within a budget.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from error_handling.retry import Backoff, parse_retry_after, retry
from microservices.accounts import NewAccount
from microservices.bulkhead import Bulkhead
from microservices.circuit_breaker import CircuitBreaker
from microservices.deadlines import Deadline
from microservices.failures import UpstreamError
from microservices.messages import AccountView
from microservices.retry_budget import RetryBudget
from microservices.settings import MicroservicesSettings

DEPENDENCY = "accounts"


@dataclass
class ClientStats:
    calls: int = 0
    attempts: int = 0
    upstream_errors: int = 0


class AccountsClient:
    """The messages service's only way to the accounts service.

        client = AccountsClient("http://127.0.0.1:8101", MicroservicesSettings())
        account = await client.get_account(account_id)  # None if it does not exist
        await client.aclose()

    Raises a `DependencyFailed` (CircuitOpen, BulkheadFull or UpstreamError) when no answer comes.
    """

    def __init__(
        self,
        base_url: str,
        settings: MicroservicesSettings,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        # One pooled client for the process: a TCP (and TLS) handshake per call would cost more
        # than the call itself.
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(settings.total_timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(
                max_connections=settings.pool_size, max_keepalive_connections=settings.pool_size
            ),
            transport=transport,  # tests can serve a provider app in-process
        )
        self.breaker = (
            CircuitBreaker(
                DEPENDENCY,
                failure_threshold=settings.breaker_failure_threshold,
                reset_timeout_s=settings.breaker_reset_timeout_s,
                clock=clock,
            )
            if settings.breaker_enabled
            else None
        )
        self.bulkhead = Bulkhead(
            DEPENDENCY, settings.bulkhead_max_concurrent, settings.bulkhead_max_wait_s
        )
        self.budget = RetryBudget(settings.retry_ratio, settings.retry_reserve)
        # error_handling's one backoff; each retry also asks the budget (`may_retry` below).
        self.backoff = Backoff(
            settings.backoff_base_s,
            max(settings.backoff_cap_s, settings.backoff_base_s),
            settings.max_attempts,
            settings.retry_deadline_s,
        )
        self.rng = rng or random.Random()
        self.clock = clock
        self.sleep = sleep
        self.stats = ClientStats()
        self.retry_delays: list[float] = []

    async def get_account(
        self,
        account_id: uuid.UUID,
        *,
        traceparent: str | None = None,
        deadline: Deadline | None = None,
    ) -> AccountView | None:
        """Idempotent: a read, so retried on a transient failure, within the caller's `deadline`."""
        headers = {"traceparent": traceparent} if traceparent else {}
        response = await self._call(
            "GET", f"/accounts/{account_id}", idempotent=True, headers=headers, deadline=deadline
        )
        if response.status_code == 404:
            return None
        return self._parse(response, expected=200)

    async def open_account(self, new: NewAccount) -> AccountView:
        """Not idempotent: a retry after a timeout could open two accounts, so it is tried once."""
        response = await self._call(
            "POST", "/accounts", idempotent=False, json=new.model_dump(mode="json")
        )
        return self._parse(response, expected=201)

    def _parse(self, response: httpx.Response, *, expected: int) -> AccountView:
        """The answer as the contract promises it, or an UpstreamError (our caller then falls back).

        A surprise here is the provider breaking the contract: a bug, not a transient failure, so
        it is not retried; it is reported as the dependency failing rather than as our own 500.
        """
        where = f"{response.request.method} {response.request.url.path}"
        if response.status_code != expected:
            raise UpstreamError(DEPENDENCY, f"unexpected {response.status_code} on {where}")
        try:
            return AccountView.model_validate(response.json())
        except ValueError as error:  # pydantic's ValidationError and JSON errors are ValueErrors
            raise UpstreamError(DEPENDENCY, f"answer to {where} breaks the contract") from error

    def failed_fast(self) -> int:
        """Calls refused without touching the network: breaker open or bulkhead full."""
        short_circuited = self.breaker.short_circuited if self.breaker else 0
        return short_circuited + self.bulkhead.rejected

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json: Any = None,
        headers: dict[str, str] | None = None,
        deadline: Deadline | None = None,
    ) -> httpx.Response:
        self.stats.calls += 1
        if deadline is not None and deadline.remaining_s() <= 0:
            raise UpstreamError(DEPENDENCY, f"the caller's deadline passed before {method} {path}")
        async with self.bulkhead.slot():
            self.budget.record_request()
            backoff = self.backoff
            if deadline is not None:
                # Retries end with the caller's patience if that is shorter than ours; taken just
                # before `retry` starts its own clock, so the two deadlines are the same instant.
                remaining = max(deadline.remaining_s(), 1e-9)
                backoff = replace(backoff, deadline_s=min(backoff.deadline_s, remaining))
            # Not CircuitOpen: the breaker has said no, asking again at once is pointless.
            return await retry(
                lambda: self._attempt(method, path, json, headers, deadline),
                idempotent=idempotent,
                transient=(UpstreamError,),
                backoff=backoff,
                may_retry=self.budget.try_spend,
                retry_after=_server_retry_after,
                sleep=self._wait,
                clock=self.clock,
                rand=self.rng.random,
            )

    async def _wait(self, delay: float) -> None:
        self.retry_delays.append(delay)
        await self.sleep(delay)

    async def _attempt(
        self,
        method: str,
        path: str,
        json: Any,
        headers: dict[str, str] | None,
        deadline: Deadline | None,
    ) -> httpx.Response:
        if self.breaker:
            self.breaker.before_call()  # CircuitOpen here: no request, no retry
        self.stats.attempts += 1
        limit_s = self.settings.total_timeout_s
        if deadline is not None:
            # The provider learns how long we will wait, and we wait no longer ourselves.
            limit_s = min(limit_s, deadline.remaining_s())
            headers = {**(headers or {}), **deadline.header()}
        try:
            # httpx's timeouts are per phase (connect, read, …); a slow trickle could outlast
            # them all, so the attempt as a whole is bounded too.
            async with asyncio.timeout(limit_s):
                response = await self.http.request(method, path, json=json, headers=headers)
        except (httpx.TransportError, TimeoutError) as error:
            self._record(ok=False)
            reason = f"{type(error).__name__} on {method} {path}"
            raise UpstreamError(DEPENDENCY, reason) from error
        except BaseException:
            # Cancelled mid-call: count it, or a half-open probe would never report back.
            self._record(ok=False)
            raise
        if response.status_code >= 500:
            self._record(ok=False)
            raise UpstreamError(
                DEPENDENCY,
                f"{response.status_code} on {method} {path}",
                retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
            )
        self._record(ok=True)  # a 4xx is a healthy dependency saying no
        return response

    def _record(self, *, ok: bool) -> None:
        if not ok:
            self.stats.upstream_errors += 1
        if self.breaker:
            if ok:
                self.breaker.record_success()
            else:
                self.breaker.record_failure()


def _server_retry_after(error: BaseException) -> float | None:
    return error.retry_after_s if isinstance(error, UpstreamError) else None
