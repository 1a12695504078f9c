"""The demo and the process launcher refuse bad input, and missing services, with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from backing_services.local_processes import free_port
from microservices import serve
from microservices.__main__ import parse_args


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_demo_exits_with_one_line_when_redis_is_not_answering() -> None:
    # Rule: no service, no traceback: one line saying what is missing and how to provide it.
    port = free_port()
    result = run_module(
        "microservices",
        env={
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
        },
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"cannot run the demo: Redis is not answering at 127.0.0.1:{port} (REDIS_URL):"
        " Connection refused. Start it, or unset REDIS_URL to use Docker."
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--requests", "5"], "--requests must be 10..100000 and --outage-requests 5..100000"),
        (["--concurrency", "0"], "--concurrency must be between 1 and 200"),
        (["--rate", "1000"], "--rate must be between 1 and 500 requests per second"),
        (["--phase-s", "1", "0", "1"], "--phase-s takes three lengths between 0.5 and 600 seconds"),
    ],
)
def test_the_demo_refuses_out_of_range_flags_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rule: every flag is range-checked; argparse exits 2 with the exact reason.
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)

    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"error: {message}")


def test_the_launcher_refuses_an_http_piece_without_a_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Rule: an HTTP piece needs a real port; the launcher says so instead of binding a random one.
    with pytest.raises(SystemExit) as exit_info:
        serve.main(["accounts"])

    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().endswith("error: --port must be between 1 and 65535")


def test_the_launcher_refuses_an_unknown_piece(capsys: pytest.CaptureFixture[str]) -> None:
    # Rule: only the four pieces exist; anything else is named in the error.
    with pytest.raises(SystemExit) as exit_info:
        serve.main(["payments", "--port", "8000"])

    assert exit_info.value.code == 2
    assert "invalid choice: 'payments'" in capsys.readouterr().err
