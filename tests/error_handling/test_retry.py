"""Backoff: delays are bounded and jittered, stop at the deadline, and only transient errors retry."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from error_handling.retry import Attempt, Backoff, parse_retry_after, retry


class FakeTime:
    """A clock that only moves when the code under test sleeps, so tests never wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Flaky:
    """Fails with `error` the first `failures` times, then answers "ok"."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures, self.calls = failures, 0
        self.error = error or ConnectionError("reset by peer")

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


async def test_a_transient_error_is_retried_until_it_succeeds() -> None:
    # Rule: a blip (connection reset) is worth another try.
    time, operation = FakeTime(), Flaky(failures=2)

    result = await retry(
        operation, idempotent=True, transient=(ConnectionError,), sleep=time.sleep, clock=time.clock
    )

    assert result == "ok"
    assert operation.calls == 3


async def test_delays_grow_exponentially_up_to_the_cap_under_full_jitter() -> None:
    # Rule: wait n is uniform in [0, min(cap, base·2ⁿ)]; with the random draw at 1 we see the ceilings.
    time, operation = FakeTime(), Flaky(failures=5)
    backoff = Backoff(base_s=0.1, cap_s=0.5, max_attempts=6, deadline_s=60)

    await retry(
        operation,
        idempotent=True,
        transient=(ConnectionError,),
        backoff=backoff,
        sleep=time.sleep,
        clock=time.clock,
        rand=lambda: 1.0,
    )

    assert time.sleeps == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])


async def test_jitter_spreads_clients_that_failed_together() -> None:
    # Rule: without jitter, every client retries at the same instant and fails together again.
    first_waits = []
    for seed in range(50):
        time, draw = FakeTime(), random.Random(seed)
        await retry(
            Flaky(failures=1),
            idempotent=True,
            transient=(ConnectionError,),
            sleep=time.sleep,
            clock=time.clock,
            rand=draw.random,
        )
        first_waits.extend(time.sleeps)

    assert len(set(first_waits)) == 50
    assert all(0 <= wait <= Backoff().base_s for wait in first_waits)


async def test_retrying_stops_at_the_deadline_with_the_last_error() -> None:
    # Rule: a retry that would end after the deadline is not attempted; the caller hears why.
    time, operation = FakeTime(), Flaky(failures=100)
    backoff = Backoff(base_s=1, cap_s=8, max_attempts=100, deadline_s=10)

    with pytest.raises(ConnectionError, match="reset by peer"):
        await retry(
            operation,
            idempotent=True,
            transient=(ConnectionError,),
            backoff=backoff,
            sleep=time.sleep,
            clock=time.clock,
            rand=lambda: 1.0,
        )

    assert time.sleeps == [1, 2, 4]  # the next wait, 8 s, would end at 15 s > 10 s
    assert operation.calls == 4


async def test_retrying_stops_after_max_attempts() -> None:
    # Rule: attempts are bounded even when time is not.
    time, operation = FakeTime(), Flaky(failures=100)

    with pytest.raises(ConnectionError):
        await retry(
            operation,
            idempotent=True,
            transient=(ConnectionError,),
            backoff=Backoff(max_attempts=3, deadline_s=1000),
            sleep=time.sleep,
            clock=time.clock,
        )

    assert operation.calls == 3


async def test_a_non_transient_error_is_raised_at_once() -> None:
    # Rule: a bug or a 4xx will fail the same way every time; retrying only delays the answer.
    time, operation = FakeTime(), Flaky(failures=1, error=ValueError("bad phone number"))

    with pytest.raises(ValueError, match="bad phone number"):
        await retry(
            operation,
            idempotent=True,
            transient=(ConnectionError,),
            sleep=time.sleep,
            clock=time.clock,
        )

    assert operation.calls == 1
    assert time.sleeps == []


async def test_a_non_idempotent_operation_runs_exactly_once() -> None:
    # Rule: after a timeout we do not know whether it happened; repeating it might do it twice.
    time, operation = FakeTime(), Flaky(failures=1)

    with pytest.raises(ConnectionError):
        await retry(
            operation,
            idempotent=False,
            transient=(ConnectionError,),
            sleep=time.sleep,
            clock=time.clock,
        )

    assert operation.calls == 1


@pytest.mark.parametrize(
    "bad", [{"base_s": 0}, {"base_s": 2, "cap_s": 1}, {"max_attempts": 0}, {"deadline_s": 0}]
)
def test_a_nonsensical_backoff_is_refused(bad: dict[str, float]) -> None:
    # Rule: a policy that could spin or never retry is a configuration error, caught at once.
    with pytest.raises(ValueError, match="need"):
        Backoff(**bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    base=st.floats(0.001, 1),
    factor=st.floats(1, 100),
    attempts=st.integers(1, 12),
    deadline=st.floats(0.01, 30),
    seed=st.integers(0, 2**32),
)
async def test_every_wait_is_within_its_ceiling_and_all_fit_the_deadline(
    base: float, factor: float, attempts: int, deadline: float, seed: int
) -> None:
    # Rule: whatever the policy and the draws, no wait exceeds its ceiling and none passes the deadline.
    time, draw = FakeTime(), random.Random(seed)
    backoff = Backoff(base_s=base, cap_s=base * factor, max_attempts=attempts, deadline_s=deadline)

    with pytest.raises(ConnectionError):
        await retry(
            Flaky(failures=10**6),
            idempotent=True,
            transient=(ConnectionError,),
            backoff=backoff,
            sleep=time.sleep,
            clock=time.clock,
            rand=draw.random,
        )

    assert len(time.sleeps) <= attempts - 1
    assert all(0 <= wait <= backoff.ceiling(n) for n, wait in enumerate(time.sleeps, start=1))
    assert sum(time.sleeps) <= deadline


# --- what a caller learns, and what it may add: history, a budget, the server's own wait ------


async def test_every_failed_attempt_is_kept_with_its_number_and_error() -> None:
    # Rule: a caller that gives up can say why; the last, non-transient error is kept too.
    time = FakeTime()
    errors = iter([ConnectionError("reset"), TimeoutError("slow"), ValueError("bad number")])

    async def operation() -> str:
        raise next(errors)

    history: list[Attempt] = []
    with pytest.raises(ValueError, match="bad number"):
        await retry(
            operation,
            idempotent=True,
            transient=(ConnectionError, TimeoutError),
            history=history,
            sleep=time.sleep,
            clock=time.clock,
        )

    assert [(a.number, a.error) for a in history] == [
        (1, "ConnectionError: reset"),
        (2, "TimeoutError: slow"),
        (3, "ValueError: bad number"),
    ]
    assert all(a.at > 0 for a in history)


async def test_after_a_success_the_history_counts_the_attempts_it_took() -> None:
    # Rule: attempts = failures kept + the one that succeeded (what a consumer reports per message).
    time, history = FakeTime(), list[Attempt]()

    result = await retry(
        Flaky(failures=2),
        idempotent=True,
        transient=(ConnectionError,),
        history=history,
        sleep=time.sleep,
        clock=time.clock,
    )

    assert (result, len(history) + 1) == ("ok", 3)


async def test_a_retry_budget_that_says_no_stops_the_retries() -> None:
    # Rule: the hook is asked before each retry; its first no is final, and it is asked no more.
    time, operation, asked = FakeTime(), Flaky(failures=100), list[bool]()
    answers = iter([True, False])

    def may_retry() -> bool:
        asked.append(True)
        return next(answers)

    with pytest.raises(ConnectionError):
        await retry(
            operation,
            idempotent=True,
            transient=(ConnectionError,),
            backoff=Backoff(max_attempts=10, deadline_s=1000),
            may_retry=may_retry,
            sleep=time.sleep,
            clock=time.clock,
        )

    assert operation.calls == 2
    assert len(asked) == 2


async def test_the_servers_retry_after_is_waited_at_least() -> None:
    # Rule: the server knows when it will recover; its wait replaces a shorter jittered guess.
    time = FakeTime()

    await retry(
        Flaky(failures=2),
        idempotent=True,
        transient=(ConnectionError,),
        retry_after=lambda error: 3.0,
        backoff=Backoff(base_s=0.1, cap_s=0.1, deadline_s=60),
        sleep=time.sleep,
        clock=time.clock,
    )

    assert time.sleeps == [3.0, 3.0]


async def test_a_retry_after_that_ends_past_the_deadline_gives_up_at_once() -> None:
    # Rule: waiting only to be too late is worse than failing now; the caller can fall back sooner.
    time, operation = FakeTime(), Flaky(failures=1)

    with pytest.raises(ConnectionError):
        await retry(
            operation,
            idempotent=True,
            transient=(ConnectionError,),
            retry_after=lambda error: 120.0,
            backoff=Backoff(deadline_s=10),
            sleep=time.sleep,
            clock=time.clock,
        )

    assert (operation.calls, time.sleeps) == (1, [])


NOW = datetime(2026, 12, 2, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 02 Dec 2026 06:00:30 GMT", 30.0),
        ("Wed, 02 Dec 2026 05:00:00 GMT", 0.0),  # already past: retry now
        (None, None),
        ("-5", None),
        ("soon", None),
        ("1.5", None),  # delta-seconds are a whole number
        ("²", None),  # a digit to str.isdigit, not to float()
        ("Wed, 02 Dec 2026 06:00:30", None),  # no zone
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    # Rule: RFC 9110 §10.2.3 allows both forms; anything else is ignored, never an exception.
    assert parse_retry_after(header, now=NOW) == seconds


def test_unlimited_attempts_never_overflow_the_ceiling() -> None:
    # Rule: a consumer that redelivers forever still gets the cap, not an OverflowError.
    backoff = Backoff(base_s=0.1, cap_s=5, max_attempts=1 << 30, deadline_s=float("inf"))

    assert backoff.ceiling(1) == 0.1
    assert backoff.ceiling(10_000) == 5
