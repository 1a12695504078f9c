"""What every benchmark shares: the machine it ran on, and where and how its results are written.

Percentiles come from `backing_services.measure`, the repo's one definition of p50/p95/p99.
Run any benchmark as a module from the repo root: `python -m benchmarks.<name>`; add `--quick` for
a smoke pass of a few seconds whose JSON and figures go under `out/bench-quick/`, so a smoke run
never overwrites the figures the READMEs quote (`benchmarks/results/`, `<package>/img/`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
QUICK_RESULTS = ROOT / "out" / "bench-quick"
PERCENTILES = "pNN by linear interpolation between closest ranks (backing_services.measure)"


def add_quick(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke pass of a few seconds; writes under out/bench-quick/, not benchmarks/results/",
    )


def machine(**extra: Any) -> dict[str, Any]:
    """The facts a reader needs to weigh a figure: cores, OS, Python, and how busy the machine was."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        **extra,
    }


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def command(name: str) -> str:
    """The exact command that produced a record, as a reader would type it from the repo root."""
    return " ".join(["python -m", f"benchmarks.{name}", *sys.argv[1:]])


def results_dir(quick: bool) -> Path:
    return QUICK_RESULTS if quick else RESULTS


def figure(path: Path, quick: bool) -> Path:
    """Where a plot goes: its place in the package, or beside the quick JSON for a smoke pass."""
    return QUICK_RESULTS / path.name if quick else path


def write_results(name: str, record: dict[str, Any], quick: bool = False) -> Path:
    """Write `<name>.json` (stamped with the date and percentile definition) and return its path."""
    path = results_dir(quick) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {"date": now(), "percentiles": PERCENTILES, **record}
    path.write_text(json.dumps(stamped, indent=2, default=str) + "\n")
    return path
