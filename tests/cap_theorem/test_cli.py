"""`python -m cap_theorem`: bad flags get one clear line, and a short run tells the whole story."""

import subprocess
import sys
from pathlib import Path

import pytest

from backing_services.local_processes import redis_server_available
from cap_theorem.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cap_theorem", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refusal(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the CLI in-process with bad flags; return its last stderr line after exit code 2."""
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    assert exit_.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


def test_too_few_clients_is_refused_with_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    # One client cannot race anyone: the demo says so and exits with argparse's usage code.
    assert refusal(capsys, "--clients", "1") == (
        "python -m cap_theorem: error: --clients: Input should be greater than or equal to 2"
    )


def test_a_partition_of_no_length_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # A partition that lasts no time at all is a mistake, not a scenario.
    assert refusal(capsys, "--partition-s", "0") == (
        "python -m cap_theorem: error: --partition-s: Input should be greater than 0"
    )


def test_an_unknown_mode_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    # The modes are the four scenarios, or all of them.
    assert refusal(capsys, "--mode", "ca").startswith(
        "python -m cap_theorem: error: argument --mode: invalid choice: 'ca' (choose from"
    )


def test_without_redis_server_the_demo_exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No binary, no demo, and the reason fits on one line.
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(SystemExit) as exit_:
        main(["--mode", "ap", "--no-plot"])

    message = str(exit_.value.code)
    assert message.startswith("cannot run the demo: it starts its own redis-server processes")
    assert "\n" not in message


@pytest.mark.skipif(not redis_server_available(), reason="needs the redis-server binary on PATH")
def test_a_short_split_brain_run_narrates_counts_and_plots(tmp_path: Path) -> None:
    # The demo tells the partition, the failover and the heal in order, then the table and plot.
    plot = tmp_path / "timeline.png"

    result = run_demo(
        "--mode", "split-brain", "--healthy-s", "0.3", "--partition-s", "0.5", "--healed-s", "0.3",
        "--plot", str(plot),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "PARTITION: the link",
        "failover: the replica is promoted",
        "HEAL: the link",
        "Checker: NOT linearizable",
    ]
    assert [out.index(step) for step in steps] == sorted(out.index(step) for step in steps)
    assert "What the clients saw" in out
    assert plot.read_bytes().startswith(b"\x89PNG")
