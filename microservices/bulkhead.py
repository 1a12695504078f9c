"""How does one slow dependency not use up every worker? A bulkhead: a fixed number of slots per dependency.

A call without a free slot waits briefly, then fails fast instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from microservices.failures import BulkheadFull


class Bulkhead:
    """`async with bulkhead.slot(): ...` — at most `max_concurrent` bodies run at once."""

    def __init__(self, name: str, max_concurrent: int, max_wait_s: float = 0.0) -> None:
        self.name = name
        self.max_concurrent = max_concurrent
        self.max_wait_s = max_wait_s
        self._slots = asyncio.Semaphore(max_concurrent)
        self.in_flight = 0
        self.rejected = 0
        # Calls queued for a slot right now (a free slot is taken without yielding, so only
        # calls that really wait are ever seen here).
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            acquired = await self._acquire()
        finally:
            self.waiting -= 1
        if not acquired:
            self.rejected += 1
            raise BulkheadFull(
                self.name, f"all {self.max_concurrent} slots busy for {self.max_wait_s} s"
            )
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()

    async def _acquire(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without yielding to the loop
            return True
        if self.max_wait_s == 0:
            return False
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.max_wait_s)
        except TimeoutError:
            return False
        return True
