"""The drill's tests read a tiny stand-in repository, never the real answer READMEs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The stand-in repo has its own test files; they run only when `drill prove` asks for them.
collect_ignore = ["fixtures"]

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "repo"
WORKTREE = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the stand-in repo that a test may edit."""
    copy = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, copy)
    return copy


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_STATE_HOME pointed at a fresh directory, so no test touches the user's progress."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


def drill(*args: str, root: Path = FIXTURE_REPO) -> subprocess.CompletedProcess[str]:
    """`python -m drill --root ROOT ARGS…` as a subprocess, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(WORKTREE), "COLUMNS": "80"}
    command = [sys.executable, "-m", "drill", *args, "--root", str(root)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)
