"""A stand-in for the phone carrier: slow or failing on request, and idempotent by key like a real API.

The call itself is at-least-once (a crash after it repeats it); the idempotency key makes that harmless.
"""

from __future__ import annotations

import asyncio
import hashlib
import random

from queue_demo.retry import TransientError


class CarrierUnavailable(TransientError):
    """The carrier timed out or answered 5xx; trying again later may work."""


class NumberRejected(Exception):
    """The carrier refuses this number for good; retrying will not help."""


class SimulatedCarrier:
    def __init__(
        self,
        *,
        delay_s: float = 0.0,
        failure_rate: float = 0.0,
        poison_numbers: frozenset[str] = frozenset(),
        seed: int | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.failure_rate = failure_rate
        self.poison_numbers = poison_numbers
        self.rng = random.Random(seed)
        self.calls = 0

    async def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        """Hand the message to the network; return the carrier's id (the same for the same key)."""
        self.calls += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if to in self.poison_numbers:
            raise CarrierUnavailable(f"carrier timed out for {to}")
        if self.failure_rate and self.rng.random() < self.failure_rate:
            raise CarrierUnavailable("carrier answered 503")
        return "SM" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
