"""Benchmarks run one way: `python -m benchmarks.<name>` from the repo root, with `--quick` for a smoke
pass, the shared machine record and results writer (`benchmarks/common.py`), and the repo's one
percentile (`backing_services/measure.py`). Static checks: running them is `make bench-quick`.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import CpuSnapshot, cpu_by_group, cpu_per_unit, cpu_snapshot

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(
    path for path in (ROOT / "benchmarks").glob("*.py") if path.stem not in ("__init__", "common")
)
# Owned by engineers still reworking them (issue 18, item 5); the integrator shrinks this set.
IN_FLUX: set[str] = set()
OWN_PERCENTILES = re.compile(r"def percentile|statistics\.(quantiles|median)\(")


def called(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def test_no_benchmark_file_is_named_like_a_package_it_would_shadow() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    shadowing = sorted(p.name for p in BENCHMARKS if p.stem in packages and p.stem not in IN_FLUX)

    assert not shadowing, f"rename to <name>_bench.py: {shadowing}"


def test_no_benchmark_edits_sys_path() -> None:
    editing = [p.name for p in BENCHMARKS if "sys.path" in p.read_text() and p.stem not in IN_FLUX]

    assert not editing, f"run them as `python -m benchmarks.<name>` instead: {editing}"


@pytest.mark.parametrize(
    "path", [p for p in BENCHMARKS if p.stem not in IN_FLUX], ids=lambda p: p.stem
)
def test_the_benchmark_has_quick_and_uses_the_shared_writer_and_percentile(path: Path) -> None:
    assert {"add_quick", "write_results"} <= called(path), "use benchmarks.common"
    assert not OWN_PERCENTILES.search(path.read_text()), "use backing_services.measure.percentile"


def test_make_bench_quick_runs_every_benchmark_that_has_a_quick_pass() -> None:
    listed = re.search(r"^BENCHMARKS := ((?:.*\\\n)*.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert listed, "the Makefile lists BENCHMARKS"
    in_make = set(listed.group(1).replace("\\\n", " ").split())
    with_quick = {p.stem for p in BENCHMARKS if "add_quick" in called(p)}

    assert with_quick == in_make


def test_a_quick_pass_writes_under_out_never_over_the_quoted_results() -> None:
    from benchmarks.common import write_results

    path = write_results("test_quick_pass_target", {"figure": 1}, quick=True)
    try:
        assert path == ROOT / "out" / "bench-quick" / "test_quick_pass_target.json"
        assert not (ROOT / "benchmarks" / "results" / path.name).exists()
    finally:
        path.unlink()


def test_a_drains_cpu_is_split_by_process_per_unit_and_stolen_time_is_not_counted_as_work() -> None:
    before = CpuSnapshot(10.0, 1.0, {(1, 100): ("PostgreSQL", 2.0), (2, 200): ("Python", 3.0)})
    after = CpuSnapshot(
        12.0,
        1.5,
        {(1, 100): ("PostgreSQL", 2.5), (2, 200): ("Python", 4.0), (3, 300): ("Python", 0.5)},
    )

    split = cpu_per_unit(before, after, units=10_000)

    assert split["us_per_unit"] == 200.0
    # Process 3 started between the snapshots: all its CPU is the drain's.
    assert split["us_per_unit_by_group"] == {"PostgreSQL": 50.0, "Redis": 0.0, "Python": 150.0}
    assert split["stolen_share"] == 0.2
    assert split["cpu_bound_per_s"] == round((os.cpu_count() or 1) * 10_000 / 2.0)


def test_a_process_that_ends_between_two_snapshots_takes_nothing_from_its_groups_cpu() -> None:
    before = CpuSnapshot(10.0, 0.0, {(1, 100): ("Python", 3.0), (2, 200): ("Python", 9.0)})
    after = CpuSnapshot(11.0, 0.0, {(1, 100): ("Python", 4.0)})  # process 2 has ended
    # A pid the kernel gave again, to a process started later, is another process.
    reused = CpuSnapshot(11.0, 0.0, {(1, 100): ("Python", 4.0), (2, 250): ("Python", 0.5)})

    assert cpu_by_group(before, after)["Python"] == 1.0
    assert cpu_by_group(before, reused)["Python"] == 1.5


BURN_THEN_WAIT = """
import time
input()  # wait for the first snapshot
deadline = time.process_time() + 0.05
while time.process_time() < deadline:  # burn 50 ms of CPU
    pass
print("burnt", flush=True)
input()  # stay alive until the second snapshot is taken
"""


def started_burner() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BURN_THEN_WAIT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def burn(child: subprocess.Popen[str]) -> None:
    """Tell the child to burn its 50 ms, and return once it has."""
    assert child.stdin and child.stdout
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline() == "burnt\n"


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")
def test_a_cpu_snapshot_counts_a_python_process_that_worked_between_two_snapshots() -> None:
    child = started_burner()
    try:
        before = cpu_snapshot()
        burn(child)
        after = cpu_snapshot()
    finally:
        child.communicate("\n", timeout=10)

    assert before and after
    assert cpu_by_group(before, after)["Python"] > 0
    assert after.busy_s > before.busy_s


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")
def test_a_python_process_that_worked_and_then_ended_between_two_snapshots_counts_nothing() -> None:
    child = started_burner()
    try:
        burn(child)  # its 50 ms are spent before the first snapshot
        before = cpu_snapshot()
    finally:
        child.communicate("\n", timeout=10)
    after = cpu_snapshot()

    assert before and after
    childs = [key for key in before.by_process if key[0] == child.pid]  # (pid, start time)
    assert childs and not after.by_process.keys() & set(childs)
    assert cpu_by_group(before, after)["Python"] >= 0
