"""The repo's one percentile agrees with the definition it states: linear between closest ranks."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backing_services.measure import latency_summary, percentile


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5


def test_p0_and_p100_are_the_minimum_and_the_maximum() -> None:
    assert (percentile([5.0, 9.0, 7.0], 0), percentile([5.0, 9.0, 7.0], 100)) == (5.0, 9.0)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=200), st.integers(1, 99))
def test_it_matches_statistics_quantiles_inclusive_at_every_whole_percent(
    samples: list[float], percent: int
) -> None:
    expected = statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]

    assert percentile(samples, percent) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_no_samples_and_a_percent_out_of_range_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100, not 101"):
        percentile([1.0], 101)


def test_the_summary_holds_p50_p95_p99_and_the_mean() -> None:
    summary = latency_summary([float(n) for n in range(1, 101)])

    assert summary == {"p50": 50.5, "p95": 95.05, "p99": 99.01, "mean": 50.5}
