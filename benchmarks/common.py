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
from dataclasses import dataclass
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


# ---- where a run's CPU went, across processes -----------------------------------------------------

# Processes a benchmark's CPU split names, by how their command name (/proc/<pid>/comm) begins.
PROCESS_GROUPS = {"postgres": "PostgreSQL", "redis-server": "Redis", "python": "Python"}
_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSnapshot:
    """Every CPU's busy and stolen seconds since boot, and each named process's CPU seconds."""

    busy_s: float  # user, system and interrupts: not idle, not waiting on I/O, not stolen
    stolen_s: float  # taken by the host's other guests: a VM's "slow" that is not this machine's
    # (pid, start time) → (group, CPU seconds). Per process, not summed per group: a process that
    # ends between two snapshots would take its whole life's CPU out of its group's sum.
    by_process: dict[tuple[int, int], tuple[str, float]]


def cpu_snapshot() -> CpuSnapshot | None:
    """The machine's CPU counters now, from /proc (Linux); None elsewhere: no split is reported."""
    try:
        user, nice, system, _, _, irq, softirq, steal = map(
            int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
    except OSError:
        return None
    by_process = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        name, fields = line[line.index("(") + 1 : line.rindex(")")], line.rsplit(")", 1)[1].split()
        group = next((g for prefix, g in PROCESS_GROUPS.items() if name.startswith(prefix)), None)
        if group:
            cpu_s = (int(fields[11]) + int(fields[12])) / _TICKS_PER_S  # utime, stime
            by_process[int(stat.parent.name), int(fields[19])] = (group, cpu_s)  # pid, starttime
    ticks = user + nice + system + irq + softirq
    return CpuSnapshot(ticks / _TICKS_PER_S, steal / _TICKS_PER_S, by_process)


def cpu_by_group(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds each group spent between two snapshots, in the processes alive at the second.

    A process that started in between counts whole; one that ended in between is not counted,
    since what it spent after the first snapshot ended with it.
    """
    spent = dict.fromkeys(PROCESS_GROUPS.values(), 0.0)
    for key, (group, cpu_s) in after.by_process.items():
        spent[group] += cpu_s - before.by_process.get(key, (group, 0.0))[1]
    return spent


def cpu_per_unit(before: CpuSnapshot, after: CpuSnapshot, units: int) -> dict[str, Any]:
    """CPU µs per unit of work between two snapshots, in all and by group; the share of the CPUs'
    time the host stole; and the rate the work would reach if CPU time were all that limited it."""
    busy = after.busy_s - before.busy_s
    stolen = after.stolen_s - before.stolen_s
    return {
        "us_per_unit": round(busy / units * 1e6, 1),
        "us_per_unit_by_group": {
            group: round(spent / units * 1e6, 1)
            for group, spent in cpu_by_group(before, after).items()
        },
        "stolen_share": round(stolen / (busy + stolen), 3) if busy + stolen else 0.0,
        "cpu_bound_per_s": round((os.cpu_count() or 1) * units / busy) if busy else None,
    }
