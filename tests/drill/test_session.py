"""The interactive drill, driven through a real terminal (a pty) by pexpect, as a person uses it."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
from pathlib import Path

import pexpect

from tests.drill.conftest import FIXTURE_REPO, WORKTREE

PROGRESS = Path("backend-interview-answers") / "drill.json"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def start(state_home: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "PYTHONPATH": str(WORKTREE), "XDG_STATE_HOME": str(state_home)}
    env |= {"TERM": "xterm", "NO_COLOR": "1"}
    command = ["-m", "drill", "--root", str(FIXTURE_REPO), "--package", "counter", *args]
    return pexpect.spawn(
        sys.executable,
        command,
        env=env,
        dimensions=(24, 80),
        timeout=30,
        encoding="utf-8",
        preexec_fn=as_typed_at_a_terminal,
    )


def as_typed_at_a_terminal() -> None:
    # A shell starts a foreground command with Ctrl-C's signal at its default; pytest itself may run
    # with SIGINT ignored (a background job: `cmd &`, nohup, some CI runners), the child would inherit
    # that, and Python then installs no KeyboardInterrupt handler at all.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def answer_and_rate(child: pexpect.spawn, question: str, key: str, verdict: str) -> None:
    child.expect_exact(question)
    child.expect_exact("Enter to reveal")
    child.send("\r")
    child.expect_exact("model answer")
    child.expect_exact("Rate yourself")
    child.send(key)
    child.expect_exact(verdict)


def test_three_ratings_survive_a_quit_and_the_again_question_comes_back_first(
    tmp_path: Path,
) -> None:
    child = start(tmp_path, "--count", "5")
    child.logfile_read = screen = io.StringIO()
    child.expect_exact("5 questions now (0 due again, 5 new) of 7")
    answer_and_rate(child, "How would you count page views at scale?", "4", "easy: box 3")
    answer_and_rate(child, "Why not keep a counter per server?", "3", "good: box 2")
    answer_and_rate(child, "What does the lock protect?", "1", "again: box 1")
    child.expect_exact("Can the count go down?")
    child.send("q")
    child.expect_exact("Rated 3: 1 again, 0 hard, 1 good, 1 easy")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    lines = re.split(r"[\r\n]+", ESCAPES.sub("", screen.getvalue()))
    # Everything fits 80 columns but the progress file's path, printed whole so it can be copied.
    assert max(len(line) for line in lines if str(tmp_path) not in line) <= 80

    items = json.loads((tmp_path / PROGRESS).read_text())["items"]
    assert {key: item["box"] for key, item in items.items()} == {
        "counter::card": 3,
        "counter::Why not keep a counter per server?": 2,
        "counter::What does the lock protect?": 1,
    }

    again = start(tmp_path, "--count", "5")
    again.expect_exact("5 questions now (1 due again, 4 new) of 7")
    again.expect_exact("1/5 · counter · follow-up")
    again.expect_exact("What does the lock protect?")
    again.send("q")
    again.expect(pexpect.EOF)


def test_ctrl_c_keeps_the_ratings_already_given(tmp_path: Path) -> None:
    child = start(tmp_path, "--count", "3")
    answer_and_rate(child, "How would you count page views at scale?", "3", "good: box 2")
    child.expect_exact("Enter to reveal")
    child.sendintr()
    child.expect_exact("Interrupted; progress saved to")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    items = json.loads((tmp_path / PROGRESS).read_text())["items"]
    assert list(items) == ["counter::card"]


def test_reset_forgets_the_packages_progress(tmp_path: Path) -> None:
    child = start(tmp_path, "--count", "1")
    answer_and_rate(child, "How would you count page views at scale?", "4", "easy: box 3")
    child.expect(pexpect.EOF)
    child = start(tmp_path, "--count", "1", "--reset")
    child.expect_exact("1 questions now (0 due again, 1 new) of 7")
    child.expect_exact("How would you count page views at scale?")
    child.send("q")
    child.expect(pexpect.EOF)
