"""`python -m drill prove PACKAGE [CLAIM]`: list a README's Proof claims, or run one claim's tests.

The tests run in a pytest subprocess in the repo root, with this environment (so against the
services `REDIS_URL` and `DATABASE_URL` name). Outcomes come back through pytest's JUnit XML, which
carries each test's result, its failure message and what it printed (the figure, if it prints one).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from drill.readme import Answer, ProofRow
from drill.rules import resolve


class ProveError(Exception):
    """A claim that cannot be run, said in one line."""


@dataclass(frozen=True)
class Outcome:
    test: str
    passed: bool
    detail: str  # the assertion when it failed, what it printed when it passed


def node_ids(answer: Answer, row: ProofRow, root: Path) -> list[str]:
    """pytest node ids (`tests/x/test_y.py::test_z`) for the tests a Proof row names."""
    ids = []
    for link in row.shown_by.links:
        target = resolve(answer, link)
        if link.test_name and target is not None:
            ids.append(f"{target.relative_to(root.resolve())}::{link.test_name}")
    return ids


def choose(answer: Answer, claim: str) -> tuple[int, ProofRow]:
    """The row a claim names: its number in the table, or words that appear in exactly one claim."""
    rows = answer.proof
    if claim.isdigit():
        number = int(claim)
        if not 1 <= number <= len(rows):
            raise ProveError(
                f"{answer.package} has claims 1 to {len(rows)}; there is no claim {number}"
            )
        return number, rows[number - 1]
    words = claim.lower().split()
    matches = [(n, r) for n, r in enumerate(rows, 1) if all(w in r.claim.lower() for w in words)]
    if not matches:
        raise ProveError(f"no claim in {answer.package} mentions {claim!r}")
    if len(matches) > 1:
        numbers = ", ".join(str(n) for n, _ in matches)
        raise ProveError(f"{claim!r} matches claims {numbers} of {answer.package}; pick one number")
    return matches[0]


def list_claims(console: Console, answer: Answer) -> None:
    """Numbered claims, each with its tests below: a borderless grid fits 80 columns, a table not."""
    console.print(f"[b]{answer.package}[/]: claims and what shows them")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right")
    grid.add_column(overflow="fold")
    for number, row in enumerate(answer.proof, 1):
        names = [link.test_name for link in row.shown_by.links if link.test_name]
        shown_by = ", ".join(names) or row.shown_by.text
        grid.add_row(f"{number}.", Text.assemble(row.claim, "\n", (shown_by, "dim")))
    console.print(grid)
    console.print(
        f"Run one: python -m drill prove {answer.package} NUMBER (or words from the claim)"
    )


def run_tests(ids: list[str], root: Path) -> list[Outcome]:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.xml"
        command = [sys.executable, "-m", "pytest", *ids, "-q", "-p", "no:cacheprovider"]
        command += [f"--junitxml={report}", "-o", "junit_logging=system-out"]
        run = subprocess.run(command, cwd=root, check=False, capture_output=True, text=True)
        cases = []
        if report.exists():
            # S314 is about untrusted XML; this is the report our own pytest run just wrote.
            cases = list(ElementTree.parse(report).getroot().iter("testcase"))  # noqa: S314
        if not cases:
            said = (run.stdout + run.stderr).strip().splitlines() or ["no output"]
            # pytest.exit (the suite's answer to a service that is down) prints "!!! Exit: why !!!".
            reason = re.sub(r"^(_pytest\.outcomes\.)?Exit: ", "", said[-1].strip("! "))
            raise ProveError(f"pytest ran no test: {reason}")
        return [_outcome(case) for case in cases]


def _outcome(case: ElementTree.Element) -> Outcome:
    test = case.get("name", "")
    for tag in ("failure", "error"):
        if (problem := case.find(tag)) is not None:
            message = problem.get("message") or (problem.text or "").strip().splitlines()[-1:]
            return Outcome(test, False, str(message))
    if (skipped := case.find("skipped")) is not None:
        return Outcome(test, False, f"skipped: {skipped.get('message', '')}")
    # A test shows a figure by printing it or with pytest's `record_property(name, value)`.
    recorded = [f"{p.get('name')} = {p.get('value')}" for p in case.iter("property")]
    printed = (case.findtext("system-out") or "").splitlines()
    # pytest puts a "---- Captured Out ----" banner above what the test printed.
    shown = recorded + [line for line in printed if line.strip() and not line.startswith("---")]
    return Outcome(test, True, "\n".join(shown))


def prove(console: Console, answer: Answer, claim: str, root: Path) -> bool:
    """Run one claim's tests and print claim, tests and outcome; True when every test passed."""
    number, row = choose(answer, claim)
    ids = node_ids(answer, row, root)
    if not ids:
        raise ProveError(
            f"claim {number} of {answer.package} is shown by {row.shown_by.text}, not a test"
        )
    console.print(f"[b]Claim {number}[/] ({answer.package}): {row.claim}")
    for node in ids:
        console.print(f"  test: {node}", soft_wrap=True, highlight=False)
    outcomes = run_tests(ids, root)
    for outcome in outcomes:
        mark = "[green]PASS[/]" if outcome.passed else "[red]FAIL[/]"
        console.print(f"{mark} {outcome.test}", soft_wrap=True)
        for line in outcome.detail.splitlines()[-8:]:
            console.print(f"     {line}", markup=False, highlight=False)
    return bool(outcomes) and all(o.passed for o in outcomes)
