"""Benchmark: four screens through REST and GraphQL over one service layer, 100k messages seeded.

From the repository root, `python -m benchmarks.rest_vs_graphql` writes benchmarks/results/rest_vs_graphql.json, the
README's table (rest_vs_graphql/measured.md) and chart (rest_vs_graphql/img/comparison.png).
"""

from __future__ import annotations

import argparse

from rest_vs_graphql import compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60, help="timed repetitions per screen (≤ 500)")
    args = parser.parse_args()
    if not 2 <= args.runs <= 500:
        parser.error("--runs must be between 2 and 500")
    compare.main(
        [
            f"--messages={args.messages}",
            f"--runs={args.runs}",
            "--schema=bench_rest_vs_graphql",
            "--json=benchmarks/results/rest_vs_graphql.json",
            "--markdown=rest_vs_graphql/measured.md",
            "--chart=rest_vs_graphql/img/comparison.png",
        ]
    )


if __name__ == "__main__":
    main()
