"""A newcomer's first hour: `python -m app` explains what is missing in one line, and the README's
curl walkthrough, run exactly as written, sends a message and sees it delivered."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from app.local_stack import local_stack
from backing_services.local_processes import free_port

README = Path(__file__).resolve().parents[2] / "app" / "README.md"
CURL_SECTION = "Run it, and try it with curl"


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start `python -m app` as a user would; every case here ends before it listens."""
    environment = {**os.environ, "PORT": str(free_port()), **env}
    return subprocess.run(
        [sys.executable, "-m", "app"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def curl_walkthrough() -> str:
    """The second bash block of the README's curl section: the commands a reader copies."""
    blocks, section = [], None
    for token in MarkdownIt().parse(README.read_text()):
        if token.type == "inline" and token.map and token.content == CURL_SECTION:
            section = CURL_SECTION
        elif token.type == "fence" and section == CURL_SECTION and token.info == "bash":
            blocks.append(token.content)
    assert len(blocks) >= 2, f"the README lost its curl walkthrough under '{CURL_SECTION}'"
    return blocks[1]


def test_serving_before_migrating_stops_with_one_line_naming_the_migrate_command(
    redis_url: str, database_url: str
) -> None:
    result = serve({"REDIS_URL": redis_url, "DATABASE_URL": database_url})

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "run `python -m app.migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_serving_without_the_urls_stops_with_one_line_naming_both() -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("REDIS_URL", "DATABASE_URL")
    }
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "app: set REDIS_URL and DATABASE_URL first, e.g. "
        "REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
    )


def test_serving_against_a_redis_that_does_not_answer_names_it_in_one_line(
    database_url: str,
) -> None:
    result = serve(
        {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "DATABASE_URL": database_url}
    )

    assert result.returncode == 1
    assert result.stderr.startswith("app: Redis is not answering at 127.0.0.1:")
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough is written for curl")
def test_the_readmes_curl_walkthrough_sends_a_message_and_sees_it_delivered(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    script = curl_walkthrough()

    with local_stack(redis_url, database_url, tmp_path) as stack:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={**os.environ, "API": stack.api_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 0, result.stderr
    assert "status: delivered" in result.stdout
    assert '"status":"delivered"' in result.stdout.replace(" ", "")
    assert '"body":"Hello from curl"' in result.stdout.replace(": ", ":")
