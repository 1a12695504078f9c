"""What every benchmark shares: the machine it ran on, and where and how its results are written.

Percentiles come from `backing_services.measure`, the repo's one definition of p50/p95/p99.
Run any benchmark as a module from the repo root: `python -m benchmarks.<name>`.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


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


def write_results(name: str, record: dict[str, Any]) -> Path:
    """Write `results/<name>.json` (stamped with the date if the record has none) and return its path."""
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"date": now(), **record}, indent=2) + "\n")
    return path
