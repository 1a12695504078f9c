"""How do you stop a failing dependency from taking you down with it? A circuit breaker.

Closed: calls pass. Open after N failures in a row: calls fail at once. Half-open: one probe decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from microservices.failures import CircuitOpen


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Guard each call with `before_call()`, then report `record_success()` or `record_failure()`.

    breaker = CircuitBreaker("accounts", failure_threshold=5, reset_timeout_s=1.0)
    breaker.before_call()          # raises CircuitOpen while open: no request is sent
    try:
        response = await send()
    except TimeoutError:
        breaker.record_failure()   # the fifth in a row opens the circuit
        raise
    breaker.record_success()       # in half-open, this closes it again
    """

    name: str
    failure_threshold: int = 5
    reset_timeout_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    state: State = State.CLOSED
    failures_in_a_row: int = 0
    opened_at: float = 0.0
    probe_in_flight: bool = False
    short_circuited: int = 0
    # (clock time, new state) for every transition: the demo plots it, the tests read it.
    transitions: list[tuple[float, State]] = field(default_factory=list)

    def before_call(self) -> None:
        """Let the call through, or raise CircuitOpen without touching the dependency."""
        if self.state is State.OPEN:
            if self.clock() - self.opened_at < self.reset_timeout_s:
                self._refuse("circuit open")
            self._move_to(State.HALF_OPEN)
        if self.state is State.HALF_OPEN:
            # One probe at a time: a sick dependency gets one request, not the whole backlog.
            if self.probe_in_flight:
                self._refuse("circuit half-open, probe in flight")
            self.probe_in_flight = True

    def record_success(self) -> None:
        self.failures_in_a_row = 0
        self.probe_in_flight = False
        if self.state is not State.CLOSED:
            self._move_to(State.CLOSED)

    def record_failure(self) -> None:
        self.probe_in_flight = False
        if self.state is State.HALF_OPEN:
            self._open()  # the probe failed: wait a whole reset timeout again
            return
        self.failures_in_a_row += 1
        if self.state is State.CLOSED and self.failures_in_a_row >= self.failure_threshold:
            self._open()

    def retry_after_s(self) -> float:
        """How long until the next probe is allowed (0 unless open)."""
        if self.state is not State.OPEN:
            return 0.0
        return max(0.0, self.reset_timeout_s - (self.clock() - self.opened_at))

    def _open(self) -> None:
        self.opened_at = self.clock()
        self._move_to(State.OPEN)

    def _move_to(self, state: State) -> None:
        self.state = state
        self.transitions.append((self.clock(), state))

    def _refuse(self, reason: str) -> None:
        self.short_circuited += 1
        raise CircuitOpen(self.name, reason)
