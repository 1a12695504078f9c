"""Can a linter catch a dangerous migration before review? Feed `alembic upgrade --sql` to squawk.

The naive revision must be flagged and the safe ones must pass; tests and CI assert both.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from migrations_demo.alembic_runner import BASELINE, NAIVE_HEAD, SAFE_HEAD, offline_sql

RANGES = {"naive": (BASELINE, NAIVE_HEAD), "safe": (BASELINE, SAFE_HEAD)}
# prefer-robust-stmts asks that each statement survive a rerun. Ours do, but squawk cannot see it
# in the SQL text: ADD CONSTRAINT is skipped when pg_constraint already has it
# (safe_ddl.add_constraint_not_valid), and VALIDATE and SET NOT NULL are idempotent.
SAFE_EXCLUSIONS = ("prefer-robust-stmts",)


@dataclass(frozen=True)
class LintResult:
    flagged: bool
    rules: tuple[str, ...]
    output: str


def squawk_binary() -> str:
    beside_python = Path(sys.executable).parent / "squawk"
    found = str(beside_python) if beside_python.exists() else shutil.which("squawk")
    if found is None:
        raise FileNotFoundError("squawk is not installed: pip install squawk-cli")
    return found


def lint(path: str) -> LintResult:
    """Lint one path's revisions (after the baseline) as the SQL Alembic would run."""
    start, end = RANGES[path]
    exclusions = SAFE_EXCLUSIONS if path == "safe" else ()
    argv = [squawk_binary(), "--reporter", "gcc", "--stdin-filepath", f"{path}.sql"]
    if exclusions:
        argv += ["--exclude", ",".join(exclusions)]
    completed = subprocess.run(
        argv, input=offline_sql(start, end), capture_output=True, text=True, timeout=60, check=False
    )
    # gcc reporter lines read "file:line:col: warning: <rule> <message>".
    rules = tuple(
        sorted(
            {
                line.split(": warning: ", 1)[1].split()[0]
                for line in completed.stdout.splitlines()
                if ": warning: " in line
            }
        )
    )
    return LintResult(flagged=completed.returncode != 0, rules=rules, output=completed.stdout)
