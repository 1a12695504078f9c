"""The load summary speaks the repo's one percentile (backing_services.measure)."""

from __future__ import annotations

import math

from microservices.load import Sample, summarize


def sample(latency_ms: float, status: int = 201) -> Sample:
    return Sample(
        at_s=0.0, latency_s=latency_ms / 1000, status=status, message_id=None, account_check=None
    )


def test_p50_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    # Rule: percentiles interpolate between the closest ranks, as everywhere else in the repo.
    summary = summarize([sample(4), sample(1), sample(3), sample(2, status=503)])

    assert (summary.p50_ms, summary.error_rate) == (2.5, 0.25)


def test_no_samples_give_no_latency_rather_than_a_made_up_one() -> None:
    summary = summarize([])

    assert math.isnan(summary.p50_ms) and math.isnan(summary.p99_ms)
