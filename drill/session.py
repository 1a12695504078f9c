"""The interactive drill: ask, time the spoken answer, reveal, rate, schedule, repeat.

Keys are read one at a time with the terminal in cbreak mode (no Enter needed for a rating, no
echo to scribble over the timer); Ctrl-C still raises KeyboardInterrupt there, and every rating is
saved the moment it is given, so an interrupted session loses nothing.
"""

from __future__ import annotations

import contextlib
import select
import sys
import termios
import time
import tty
from collections.abc import Iterator

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from drill.questions import Question
from drill.schedule import RATINGS, Rating, Schedule, utc_now

KEYS: dict[str, Rating] = {"1": "again", "2": "hard", "3": "good", "4": "easy"}
QUIT = "q"


class Quit(Exception):
    """The candidate pressed q."""


@contextlib.contextmanager
def cbreak() -> Iterator[None]:
    """Single keys without Enter, when stdin is a terminal; a no-op otherwise."""
    if not sys.stdin.isatty():
        yield
        return
    saved = termios.tcgetattr(sys.stdin)
    try:
        tty.setcbreak(sys.stdin)
        yield
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)


def read_key(timeout: float | None = None) -> str | None:
    """One key, or None after `timeout` seconds; end of input counts as quitting."""
    if timeout is not None and not select.select([sys.stdin], [], [], timeout)[0]:
        return None
    key = sys.stdin.read(1)
    return key if key else QUIT


def _clock(started: float, aim: int) -> Text:
    elapsed = int(time.monotonic() - started)
    style = "bold red" if elapsed > aim else "bold green"
    return Text.assemble(
        ("⏱ ", style),
        (f"{elapsed // 60}:{elapsed % 60:02d}", style),
        (f" / aim {aim} s · answer out loud, then Enter to reveal · q to quit", "dim"),
    )


def wait_for_enter(console: Console, aim: int) -> None:
    """Show a ticking clock until Enter; q quits."""
    started = time.monotonic()
    with Live(_clock(started, aim), console=console, auto_refresh=False) as live:
        while True:
            key = read_key(timeout=0.25)
            live.update(_clock(started, aim), refresh=True)
            if key in ("\n", "\r"):
                return
            if key == QUIT:
                raise Quit


def ask_rating(console: Console) -> Rating:
    console.print(
        "Rate yourself: [b]1[/] again · [b]2[/] hard · [b]3[/] good · [b]4[/] easy · q quit"
    )
    while True:
        key = read_key()
        if key == QUIT:
            raise Quit
        if key in KEYS:
            return KEYS[key]


def reveal(console: Console, question: Question) -> None:
    body = Text(question.answer)
    body.highlight_words(question.signposts, style="bold yellow")
    if question.cite:
        body.append("\n\nCite: ", style="bold").append(" · ".join(question.cite))
    if question.tests:
        body.append("\nProved by: ", style="bold").append(" · ".join(question.tests))
    if question.kind == "card":
        body.append("\n\nProve a claim: ", style="bold")
        body.append(f"python -m drill prove {question.package}")
    console.print(Panel(body, title="model answer", title_align="left", border_style="cyan"))


def ask(console: Console, schedule: Schedule, question: Question, position: str) -> Rating:
    title = f"{position} · {question.package} · {question.kind}"
    console.print(Panel(Text(question.prompt, style="bold"), title=title, title_align="left"))
    wait_for_enter(console, question.aim_seconds)
    reveal(console, question)
    rating = ask_rating(console)
    progress = schedule.record(question.key, rating, utc_now())
    console.print(f"[dim]{rating}: box {progress.box}, due {progress.due[:16]} UTC[/]\n")
    return rating


def run(console: Console, schedule: Schedule, chosen: list[Question], known: int) -> int:
    """Ask each chosen question; returns how many were rated before the end or a quit."""
    seen = sum(1 for q in chosen if q.key in schedule.items)
    console.print(
        f"[b]Drill[/]: {len(chosen)} questions now ({seen} due again, {len(chosen) - seen} new) "
        f"of {known}."
    )
    console.print(f"[dim]Progress: {schedule.path}[/]", soft_wrap=True)
    rated = 0
    with cbreak():
        try:
            for number, question in enumerate(chosen, start=1):
                ask(console, schedule, question, f"{number}/{len(chosen)}")
                rated += 1
        except Quit:
            pass
    tally = {r: 0 for r in RATINGS}
    for question in chosen[:rated]:
        tally[schedule.items[question.key].last] += 1
    console.print(f"Rated {rated}: " + ", ".join(f"{n} {r}" for r, n in tally.items()))
    console.print(f"Progress saved to {schedule.path}", soft_wrap=True)
    return rated
