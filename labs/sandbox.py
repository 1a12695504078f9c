"""Run a lab somewhere the user's checkout never sees: a copy of the working tree, the bug applied there.

The copy holds what `git ls-files` lists (tracked files, and new files not ignored), so a lab runs
against the code as the student has it, uncommitted edits included, and `git status` stays as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from labs.catalog import ROOT, Lab, LabError

TIMED_OUT = -1  # not a pytest exit code: the run was stopped at its deadline
DEFAULT_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Outcome:
    exit_code: int  # pytest's (0 all passed, 1 some failed, 2-5 the run went wrong), or TIMED_OUT
    output: str


def checkout_files(root: Path = ROOT) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


@contextmanager
def sandbox(root: Path = ROOT) -> Iterator[Path]:
    """A throwaway copy of the checkout, removed on the way out whatever happens."""
    with tempfile.TemporaryDirectory(prefix="lab-") as directory:
        copy = Path(directory)
        for name in checkout_files(root):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, copy / name)
        yield copy


def apply_bug(lab: Lab, copy: Path) -> None:
    applied = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", str(lab.patch)],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    if applied.returncode != 0:
        reason = (
            applied.stderr.strip().splitlines()[0] if applied.stderr.strip() else "git apply failed"
        )
        raise LabError(f"lab {lab.name}: bug.patch no longer applies to the code ({reason})")


def run_tests(lab: Lab, copy: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> Outcome:
    """The lab's tests, in the copy, with the copy first on the import path of every process."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=line", "-rfE"]
    try:
        result = subprocess.run(
            [*argv, *lab.tests],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        # A bug can deadlock the test meant to catch it; the check must still end.
        return Outcome(TIMED_OUT, f"stopped after {timeout_s:.0f} s")
    # Paths inside the copy read as paths in the checkout.
    output = (result.stdout + result.stderr).replace(f"{copy}/", "")
    return Outcome(result.returncode, output)


def run_with_bug(lab: Lab, timeout_s: float = DEFAULT_TIMEOUT_S) -> Outcome:
    with sandbox() as copy:
        apply_bug(lab, copy)
        return run_tests(lab, copy, timeout_s)
