"""The one definition of a percentile in this repo, used by every demo, benchmark and report.

p50, p95 and p99 are computed by linear interpolation between the two closest ranks (the
"inclusive" method of `statistics.quantiles`, which is also NumPy's default), so the p50 of an
even count is the mean of the middle two, and p100 is the maximum.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], percent: float) -> float:
    """The `percent`-th percentile (0–100) of `samples`; one sample is its own every percentile."""
    if not samples:
        raise ValueError("no samples to take a percentile of")
    if not 0 <= percent <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {percent}")
    ordered = sorted(samples)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * percent / 100
    below = int(rank)
    above = min(below + 1, len(ordered) - 1)
    return float(ordered[below] + (ordered[above] - ordered[below]) * (rank - below))


def latency_summary(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and the mean, in the samples' own unit."""
    return {
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples),
    }
