"""Why do N processes give less than N times the throughput? The Universal Scalability Law.

Gunther's USL: X(N) = X(1) · N / (1 + σ(N − 1) + κ·N(N − 1)). σ (contention) is the share of
work that queues for something shared (Amdahl's serial part); κ (coherency) is the cost of
keeping N workers in step, which grows with every pair and makes throughput fall past a peak.

`python -m scaling.usl [results.json]` fits σ and κ to the benchmark's throughput rows.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "scaling.json"


@dataclass(frozen=True)
class Fit:
    contention: float  # σ
    coherency: float  # κ

    def speedup(self, processes: int) -> float:
        n = processes
        return n / (1 + self.contention * (n - 1) + self.coherency * n * (n - 1))

    @property
    def peak_processes(self) -> float:
        """Where throughput stops rising: √((1 − σ) / κ); without coherency cost, never."""
        if self.coherency <= 0:
            return math.inf
        return math.sqrt(max(0.0, 1 - self.contention) / self.coherency)


def fit(points: Sequence[tuple[int, float]]) -> Fit:
    """Least squares on Gunther's linear form: N / C(N) − 1 = σ(N − 1) + κ·N(N − 1).

    `points` are (processes, throughput) and must include one process: C(N) = X(N) / X(1).
    """
    baseline = dict(points).get(1)
    if baseline is None or baseline <= 0:
        raise ValueError("the fit needs the throughput at one process, and it must be positive")
    rows = [(n - 1.0, n * (n - 1.0), n * baseline / x - 1) for n, x in points if n > 1 and x > 0]
    if len(rows) < 2:
        raise ValueError("the fit needs throughput at two or more process counts above one")
    # The 2×2 normal equations of a fit with no intercept, solved by Cramer's rule.
    aa = sum(a * a for a, _, _ in rows)
    ab = sum(a * b for a, b, _ in rows)
    bb = sum(b * b for _, b, _ in rows)
    ay = sum(a * y for a, _, y in rows)
    by = sum(b * y for _, b, y in rows)
    determinant = aa * bb - ab * ab
    return Fit((ay * bb - by * ab) / determinant, (by * aa - ay * ab) / determinant)


def main(argv: Sequence[str]) -> int:
    path = Path(argv[0]) if argv else RESULTS
    try:
        rows = json.loads(path.read_text())["throughput"]["rows"]
    except (OSError, KeyError, ValueError) as error:
        print(f"scaling.usl: cannot read throughput rows from {path}: {error}", file=sys.stderr)
        return 2
    for layout, route in sorted({(r["layout"], r["route"]) for r in rows}):
        points = [
            (r["processes"], r["per_second"])
            for r in rows
            if (r["layout"], r["route"]) == (layout, route)
        ]
        found = fit(points)
        print(
            f"{layout:>10} {route:>3}: σ = {found.contention:.2f}, κ = {found.coherency:.2f},"
            f" peak at {found.peak_processes:.1f} processes"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
