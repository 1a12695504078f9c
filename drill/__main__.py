"""python -m drill [--package P] [--count N] [--random] [--reset]
python -m drill prove PACKAGE [CLAIM ...]
python -m drill export --anki FILE.apkg"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from rich.console import Console

from drill import anki, prove, session
from drill.questions import Question, questions
from drill.readme import Answer, discover, parse
from drill.schedule import Schedule, UnreadableProgress, state_file, utc_now

REPO = Path(__file__).resolve().parents[1]
WIDTH = 80  # the narrowest terminal the drill promises to fit


class UsageError(Exception):
    """Something the user named does not exist; said in one line."""


def _parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--root", type=Path, default=argparse.SUPPRESS, help="repo to read")
    parser = argparse.ArgumentParser(
        prog="python -m drill", parents=[shared], description="Rehearse the answers out loud."
    )
    parser.add_argument("--package", action="append", help="only this package (repeatable)")
    parser.add_argument("--count", type=int, default=10, help="questions this session (10)")
    parser.add_argument("--random", action="store_true", help="shuffle instead of README order")
    parser.add_argument("--reset", action="store_true", help="forget progress (of --package)")
    commands = parser.add_subparsers(dest="command")
    proof = commands.add_parser("prove", parents=[shared], help="list or run a package's claims")
    proof.add_argument("target", metavar="PACKAGE")
    proof.add_argument("claim", nargs="*", help="a claim's number, or words from it")
    export = commands.add_parser("export", parents=[shared], help="write the questions elsewhere")
    export.add_argument("--anki", type=Path, required=True, metavar="FILE.apkg")
    return parser


def _answers(root: Path, packages: list[str] | None) -> list[Answer]:
    answers = discover(root)
    if not answers:
        raise UsageError(f"no README under {root} has a '## The card' section yet")
    names = [answer.package for answer in answers]
    for package in packages or []:
        if package not in names:
            raise UsageError(f"no answer package {package!r}; choose from {', '.join(names)}")
    return [answer for answer in answers if not packages or answer.package in packages]


def _drill(console: Console, args: argparse.Namespace, root: Path) -> int:
    if args.count < 1:
        raise UsageError("--count must be at least 1")
    asked: list[Question] = questions(_answers(root, args.package), root)
    schedule = Schedule(state_file())
    if args.reset:
        schedule.reset([q.key for q in asked] if args.package else None)
    keys = schedule.next_up(
        [q.key for q in asked], utc_now(), args.count, random.Random() if args.random else None
    )
    if not keys:
        console.print("Nothing is due. Come back later, or use --reset or --random.")
        return 0
    by_key = {q.key: q for q in asked}
    session.run(console, schedule, [by_key[k] for k in keys], len(asked))
    return 0


def _proven(root: Path, package: str) -> Answer:
    """The package's README, read for its Proof table (a README not yet carded has one too)."""
    readmes = {path.parent.name: path for path in sorted(root.glob("*/README.md"))}
    answers = {name: parse(path) for name, path in readmes.items()}
    with_proof = [name for name, answer in answers.items() if answer.proof]
    if package not in with_proof:
        raise UsageError(f"no Proof table in {package!r}; choose from {', '.join(with_proof)}")
    return answers[package]


def _prove(console: Console, args: argparse.Namespace, root: Path) -> int:
    answer = _proven(root, args.target)
    if not args.claim:
        prove.list_claims(console, answer)
        return 0
    return 0 if prove.prove(console, answer, " ".join(args.claim), root) else 1


def _export(console: Console, args: argparse.Namespace, root: Path) -> int:
    if args.anki.suffix != ".apkg":
        raise UsageError(f"{args.anki} must end in .apkg")
    count = anki.export(questions(_answers(root, None), root), args.anki)
    console.print(f"Wrote {count} notes to {args.anki}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path(getattr(args, "root", REPO)).resolve()
    console = Console(width=min(WIDTH, Console().width), highlight=False)
    command = {"prove": _prove, "export": _export}.get(args.command, _drill)
    try:
        return command(console, args, root)
    except (UsageError, prove.ProveError, UnreadableProgress) as error:
        print(f"drill: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        console.print(f"\nInterrupted; progress saved to {state_file()}")
        return 130


if __name__ == "__main__":
    sys.exit(main())
