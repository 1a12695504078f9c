"""The per-phase numbers: a request belongs to the phase in which it started."""

from migrations_demo.report import percentile, phase_stats
from migrations_demo.scenario import MIGRATION_DONE, MIGRATION_STARTS, PathRun
from migrations_demo.traffic import Request


def request(at: float, latency_ms: float, error: str | None = None) -> Request:
    return Request(
        started_s=at, latency_s=latency_ms / 1000, kind="read", version="v1", error=error
    )


def test_requests_are_counted_in_the_phase_they_started_in_with_their_errors() -> None:
    # Rule: a request that started before the migration counts as "before", however long it took.
    run = PathRun(
        path="naive",
        rows=1,
        peak_lock_queue=0,
        longest_stall_s=0.0,
        phases=[(0.0, "traffic starts"), (1.0, MIGRATION_STARTS), (2.0, MIGRATION_DONE)],
        requests=[
            request(0.5, 2_000),
            request(1.5, 3_000, "QueryCanceled: timeout"),
            request(2.5, 1),
        ],
    )

    before, during, after = phase_stats(run)

    assert (before.requests, before.errors, before.max_ms) == (1, 0, 2_000)
    assert (during.requests, during.errors, during.p99_ms) == (1, 1, 3_000)
    assert (after.requests, after.errors) == (1, 0)


def test_percentile_is_nearest_rank() -> None:
    # Rule: p50 of 1..100 is 50 and p99 is 99; no interpolation between observed values.
    values = [float(v) for v in range(1, 101)]

    assert (percentile(values, 0.5), percentile(values, 0.99), percentile([], 0.99)) == (
        50.0,
        99.0,
        0.0,
    )
