"""`python -m labs`: list the labs, run one (`run NAME`), or check that every lab still bites (`check`).

python -m labs                      # the list
python -m labs run rl-read-then-write       # apply the bug in a copy, run its tests, show the hint
python -m labs run rl-read-then-write --diff   # just show the bug
python -m labs check                # CI: every lab's patch applies and makes its tests fail
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from labs.catalog import LABS, Lab, LabError, all_labs, find, hint
from labs.sandbox import DEFAULT_TIMEOUT_S, TIMED_OUT, Outcome, run_with_bug

console = Console(highlight=False, soft_wrap=True)
TESTS_FAILED = 1  # pytest's exit code when tests ran and some failed: the lab bit


def show_list(labs: Sequence[Lab]) -> None:
    table = Table(title=f"{len(labs)} break-it labs: `make lab LAB=<name>`")
    for column in ("name", "answer", "the bug"):
        table.add_column(column)
    for lab in labs:
        table.add_row(lab.name, lab.answer, lab.title)
    console.print(table)


def failures(outcome: Outcome) -> list[str]:
    """What the student should look at: where each assertion failed, which tests, and the tally."""
    # "ERROR tests/…" is pytest's summary of a test that errored; "ERROR    name:…" is a log record.
    wanted = re.compile(r"^(FAILED |ERROR tests/|tests/\S+:\d+: )|\d+ (failed|passed|error)")
    return [line for line in outcome.output.splitlines() if wanted.search(line)]


def shown(path: Path) -> Path:
    """A lab's file as the student finds it: relative to the checkout when it lives there."""
    return path.relative_to(LABS.parent) if path.is_relative_to(LABS.parent) else path


def run(lab: Lab) -> int:
    console.print(f"[bold]{lab.title}[/bold]  ({lab.answer})")
    patch = shown(lab.patch)
    console.print(f"Applying {patch} to a copy of your checkout, then running:")
    for test in lab.tests:
        console.print(f"  {test}", markup=False)
    outcome = run_with_bug(lab)
    for line in failures(outcome)[-20:]:
        console.print(f"  {line}", markup=False)
    bit = outcome.exit_code == TESTS_FAILED
    if bit:
        console.print("[green]The proof caught the bug.[/green] Your checkout is untouched.")
    else:
        console.print(
            f"[red]The tests did not fail as expected (pytest exit {outcome.exit_code}):[/red]"
        )
        for line in outcome.output.strip().splitlines()[-5:]:
            console.print(f"  {line}", markup=False)
    console.print("\n[bold]Hint[/bold]")
    console.print(hint(lab), markup=False)
    console.print(f"\nThe whole story: {shown(lab.page)}")
    return 0 if bit else 1


def verdict(lab: Lab, timeout_s: float = DEFAULT_TIMEOUT_S) -> str | None:
    """None when the lab bites; otherwise the one line CI prints for it."""
    try:
        outcome = run_with_bug(lab, timeout_s)
    except LabError as error:
        return str(error)
    if outcome.exit_code == TIMED_OUT:
        return f"lab {lab.name}: its tests did not finish within {timeout_s:.0f} s with the bug applied"
    if outcome.exit_code == 0:
        return f"lab {lab.name}: with the bug applied, {' '.join(lab.tests)} still pass: the lab has lost its teeth"
    if outcome.exit_code != TESTS_FAILED:
        return f"lab {lab.name}: its tests did not run with the bug applied (pytest exit {outcome.exit_code})"
    return None


def check(labs: Sequence[Lab], timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    broken = []
    for lab in labs:
        problem = verdict(lab, timeout_s)
        console.print(f"{'ok  ' if problem is None else 'FAIL'} {lab.name}", markup=False)
        if problem is not None:
            broken.append(problem)
    for problem in broken:
        print(problem, file=sys.stderr)
    console.print(f"{len(labs) - len(broken)} of {len(labs)} labs bite")
    return 1 if broken else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m labs", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--labs-dir", type=Path, default=LABS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="list the labs")
    one = commands.add_parser("run", help="apply one lab's bug in a copy and run its tests")
    one.add_argument("name")
    one.add_argument("--diff", action="store_true", help="only show the bug (the patch)")
    every = commands.add_parser("check", help="every lab's patch applies and makes its tests fail")
    every.add_argument("names", nargs="*", help="only these labs")
    every.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds allowed per lab's tests"
    )
    args = parser.parse_args(argv)
    try:
        labs = all_labs(args.labs_dir)
        if args.command == "run" and args.diff:
            print(find(args.name, args.labs_dir).patch.read_text(), end="")
            return 0
        if args.command == "run":
            return run(find(args.name, args.labs_dir))
        if args.command == "check":
            chosen = [find(name, args.labs_dir) for name in args.names] if args.names else labs
            return check(chosen, args.timeout)
        show_list(labs)
        return 0
    except LabError as error:
        print(f"labs: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
