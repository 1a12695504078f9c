"""Benchmarks run one way: `python -m benchmarks.<name>` from the repo root, with `--quick` for a smoke
pass, the shared machine record and results writer (`benchmarks/common.py`), and the repo's one
percentile (`backing_services/measure.py`). Static checks: running them is `make bench-quick`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(
    path for path in (ROOT / "benchmarks").glob("*.py") if path.stem not in ("__init__", "common")
)
# Owned by engineers still reworking them (issue 18, item 5); the integrator shrinks this set.
IN_FLUX = {"rest_vs_graphql", "rest_vs_graphql_field_cost"}
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
