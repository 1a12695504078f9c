"""The demo runs end to end, explains a missing Redis in one line, and draws its comparison."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backing_services.local_processes import free_port
from rate_limiter.comparison import bursty_arrivals, compare
from rate_limiter.plot import plot_runs

REPO = Path(__file__).resolve().parents[2]


def run_demo(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": redis_url}
    env.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return subprocess.run(
        [sys.executable, "-m", "rate_limiter", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_demo_prints_a_timeline_and_the_comparison(redis_url: str, tmp_path: Path) -> None:
    # Rule: `python -m rate_limiter` narrates allowed and denied requests and writes the plot.
    plot = tmp_path / "algorithms.png"

    result = run_demo(
        redis_url, "--bursts", "1", "--burst-size", "7", "--rate", "0.01", "--plot", str(plot)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("allowed ") == 5  # capacity 5, no refill to speak of: 5 pass
    assert result.stdout.count("denied, retry in") == 2
    assert "at most 20 within 100 ms" in result.stdout  # the fixed window's double burst
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_the_demo_explains_an_unreachable_redis_in_one_line() -> None:
    # Rule: with nothing listening at REDIS_URL the demo exits non-zero with one clear line.
    result = run_demo(f"redis://127.0.0.1:{free_port()}/0", "--no-plot")

    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("cannot run the demo: Redis is not answering at 127.0.0.1:")


def test_the_demo_rejects_a_nonsense_rate_with_a_usage_message(redis_url: str) -> None:
    # Rule: bad flags are refused by name before anything runs.
    result = run_demo(redis_url, "--rate", "0")

    assert result.returncode == 2
    assert "argument --rate: must be a positive number, not 0" in result.stderr


def test_the_comparison_plot_is_a_png(tmp_path: Path) -> None:
    # Rule: the README's picture is regenerated from the same comparison the demo prints.
    plot_runs(compare(bursty_arrivals()), tmp_path / "img" / "algorithms.png")

    assert (tmp_path / "img" / "algorithms.png").read_bytes()[:4] == b"\x89PNG"
