"""Leitner boxes: how a rating moves a question, what is due, where progress is kept."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drill.schedule import Schedule, rate, state_file

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ratings", "box", "wait_days"),
    [
        (["good"], 2, 1),
        (["good", "good"], 3, 3),
        (["easy", "easy", "easy"], 5, 21),
        (["easy", "easy", "hard"], 5, 21),
        (["easy", "again"], 1, 0),
        (["hard"], 1, 0),
    ],
)
def test_a_rating_moves_the_question_between_boxes(
    ratings: list[str], box: int, wait_days: int
) -> None:
    progress = None
    for rating in ratings:
        progress = rate(progress, rating, NOW)  # type: ignore[arg-type]
    assert progress is not None
    assert (progress.box, progress.reviews) == (box, len(ratings))
    assert datetime.fromisoformat(progress.due) == NOW + timedelta(days=wait_days)


def test_due_questions_come_first_then_new_ones_and_waiting_ones_never(tmp_path: Path) -> None:
    schedule = Schedule(tmp_path / "drill.json")
    schedule.record("waiting", "good", NOW)
    schedule.record("due-later", "again", NOW)
    schedule.record("due-first", "again", NOW - timedelta(hours=1))
    keys = ["new-1", "waiting", "due-later", "new-2", "due-first"]
    assert schedule.next_up(keys, NOW, 10) == ["due-first", "due-later", "new-1", "new-2"]
    assert schedule.next_up(keys, NOW, 3) == ["due-first", "due-later", "new-1"]


def test_random_order_shuffles_but_asks_the_same_questions(tmp_path: Path) -> None:
    schedule = Schedule(tmp_path / "drill.json")
    keys = [f"q{n}" for n in range(20)]
    shuffled = schedule.next_up(keys, NOW, 20, random.Random(7))
    assert shuffled != keys
    assert sorted(shuffled) == sorted(keys)


def test_progress_survives_a_reload_and_a_reset_forgets_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "drill.json"
    schedule = Schedule(path)
    schedule.record("a", "good", NOW)
    schedule.record("b", "easy", NOW)
    reloaded = Schedule(path)
    assert reloaded.items == schedule.items
    reloaded.reset(["a"])
    assert list(Schedule(path).items) == ["b"]
    assert json.loads(path.read_text())["version"] == 1


def test_progress_lives_under_xdg_state_home(state_home: Path) -> None:
    assert state_file() == state_home / "backend-interview-answers" / "drill.json"


@pytest.mark.parametrize("value", [None, "", "relative/state"], ids=["unset", "empty", "relative"])
def test_without_a_usable_xdg_state_home_progress_lives_under_local_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", value)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_file() == tmp_path / ".local/state/backend-interview-answers/drill.json"
