"""Which question to ask next: Leitner boxes, kept in a JSON file under the XDG state directory.

The scheme, in full. Every question sits in a box from 1 to 5 (a question never asked sits in none).
A rating moves it: *again* back to box 1, *hard* stays, *good* up one box, *easy* up two (at most 5).
Box *n* waits `WAIT_DAYS[n]` days before the question is due again; box 1 waits none, so a question
rated *again* is the first asked next session. A session asks the due questions, longest overdue
first, then questions never asked, in README order (or shuffled with `--random`).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

Rating = Literal["again", "hard", "good", "easy"]
RATINGS: tuple[Rating, ...] = ("again", "hard", "good", "easy")
MOVE = {"again": None, "hard": 0, "good": 1, "easy": 2}  # None: back to box 1
WAIT_DAYS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 21}
LAST_BOX = max(WAIT_DAYS)
FILE_VERSION = 1


class UnreadableProgress(Exception):
    """The progress file exists but is not one this drill wrote."""


@dataclass
class Progress:
    box: int
    due: str  # ISO 8601, UTC
    reviews: int
    last: Rating


def state_file() -> Path:
    """`$XDG_STATE_HOME/backend-interview-answers/drill.json`, defaulting to `~/.local/state`.

    The XDG spec (0.8) says to use the default when the variable is unset or empty, and to ignore
    a relative path.
    """
    base = Path(os.environ.get("XDG_STATE_HOME") or "")
    if not base.is_absolute():
        base = Path.home() / ".local" / "state"
    return base / "backend-interview-answers" / "drill.json"


def rate(previous: Progress | None, rating: Rating, now: datetime) -> Progress:
    box = previous.box if previous else 1
    step = MOVE[rating]
    box = 1 if step is None else min(LAST_BOX, max(1, box + step))
    due = now + timedelta(days=WAIT_DAYS[box])
    return Progress(box, due.isoformat(), (previous.reviews if previous else 0) + 1, rating)


class Schedule:
    """Progress per question id, loaded from and saved to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: dict[str, Progress] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.items = {key: Progress(**value) for key, value in data["items"].items()}
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise UnreadableProgress(
                    f"{path} is not drill progress ({error}); delete it"
                ) from None

    def save(self) -> None:
        """Write to a temporary file, then rename: an interrupted save leaves the old file whole."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        items = {key: asdict(value) for key, value in sorted(self.items.items())}
        temporary.write_text(json.dumps({"version": FILE_VERSION, "items": items}, indent=1))
        os.replace(temporary, self.path)

    def record(self, key: str, rating: Rating, now: datetime) -> Progress:
        self.items[key] = rate(self.items.get(key), rating, now)
        self.save()
        return self.items[key]

    def reset(self, keys: list[str] | None = None) -> None:
        """Forget every question's progress, or only `keys`'."""
        self.items = {} if keys is None else {k: v for k, v in self.items.items() if k not in keys}
        self.save()

    def next_up(
        self, keys: list[str], now: datetime, count: int, shuffle: random.Random | None = None
    ) -> list[str]:
        """Up to `count` keys: due ones (most overdue first), then new ones; not-yet-due last never."""
        due = sorted(
            (
                k
                for k in keys
                if k in self.items and datetime.fromisoformat(self.items[k].due) <= now
            ),
            key=lambda k: self.items[k].due,
        )
        new = [k for k in keys if k not in self.items]
        if shuffle is not None:
            shuffle.shuffle(due)
            shuffle.shuffle(new)
        return (due + new)[:count]


def utc_now() -> datetime:
    return datetime.now(UTC)
