"""The per-phase numbers: a request belongs to the phase in which it started."""

from migrations_demo.report import phase_stats
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


def test_phase_percentiles_use_the_repo_definition_and_an_empty_phase_reports_zero() -> None:
    # Rule: one percentile in the repo (backing_services.measure): p50 of 1, 2, 3, 4 ms is 2.5 ms.
    run = PathRun(
        path="safe",
        rows=1,
        peak_lock_queue=0,
        longest_stall_s=0.0,
        phases=[(0.0, "traffic starts"), (1.0, MIGRATION_STARTS), (2.0, MIGRATION_DONE)],
        requests=[request(0.1 * n, latency) for n, latency in enumerate([4, 1, 3, 2], 1)],
    )

    before, during, _ = phase_stats(run)

    assert (before.p50_ms, during.requests, during.p50_ms, during.p99_ms) == (2.5, 0, 0.0, 0.0)
