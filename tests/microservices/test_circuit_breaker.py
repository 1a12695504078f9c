"""The circuit breaker's states, driven by a fake clock: closed → open → half-open → closed."""

from __future__ import annotations

import pytest

from microservices.circuit_breaker import CircuitBreaker, State
from microservices.failures import CircuitOpen


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("accounts", failure_threshold=3, reset_timeout_s=5.0, clock=clock)


def state_of(breaker: CircuitBreaker) -> State:
    """Read through a call, so the type checker does not narrow the state between two asserts."""
    return breaker.state


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure()


def test_breaker_opens_after_the_configured_failures_in_a_row(breaker: CircuitBreaker) -> None:
    # Rule: the threshold-th consecutive failure opens the circuit, not one before.
    fail(breaker, 2)
    assert state_of(breaker) is State.CLOSED

    fail(breaker, 1)

    assert state_of(breaker) is State.OPEN


def test_a_success_resets_the_count_of_failures_in_a_row(breaker: CircuitBreaker) -> None:
    # Rule: only failures in a row count; a success in between starts the count again.
    fail(breaker, 2)
    breaker.before_call()
    breaker.record_success()

    fail(breaker, 2)

    assert state_of(breaker) is State.CLOSED


def test_open_breaker_refuses_calls_without_calling_until_the_reset_timeout(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # Rule: while open, every call is refused at once (and counted as failed fast).
    fail(breaker, 3)
    clock.now += 4.9

    with pytest.raises(CircuitOpen, match="accounts: circuit open"):
        breaker.before_call()
    assert breaker.short_circuited == 1
    assert breaker.retry_after_s() == pytest.approx(0.1)


def test_after_the_reset_timeout_one_probe_is_let_through_and_others_still_refused(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # Rule: half-open lets exactly one probe through; concurrent calls still fail fast.
    fail(breaker, 3)
    clock.now += 5.0

    breaker.before_call()

    assert state_of(breaker) is State.HALF_OPEN
    with pytest.raises(CircuitOpen, match="probe in flight"):
        breaker.before_call()


def test_a_successful_probe_closes_the_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # Rule: half-open → closed on the probe's success, and the failure count starts from zero.
    fail(breaker, 3)
    clock.now += 5.0
    breaker.before_call()

    breaker.record_success()

    assert state_of(breaker) is State.CLOSED
    assert [state for _, state in breaker.transitions] == [
        State.OPEN,
        State.HALF_OPEN,
        State.CLOSED,
    ]
    fail(breaker, 2)
    assert state_of(breaker) is State.CLOSED


def test_a_failed_probe_opens_the_breaker_for_another_full_reset_timeout(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    # Rule: half-open → open on the probe's failure, timed from the probe, not the first opening.
    fail(breaker, 3)
    clock.now += 5.0
    breaker.before_call()

    breaker.record_failure()
    clock.now += 4.0

    assert state_of(breaker) is State.OPEN
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 1.0
    breaker.before_call()
    assert state_of(breaker) is State.HALF_OPEN
