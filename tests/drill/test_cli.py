"""The drill's command line refuses what it cannot do in one line naming what is wrong."""

from __future__ import annotations

from pathlib import Path

from tests.drill.conftest import drill


def test_an_unknown_package_is_refused_in_one_line(state_home: Path) -> None:
    result = drill("--package", "teapot")
    assert result.returncode == 2
    assert result.stderr == "drill: no answer package 'teapot'; choose from counter, greeting\n"


def test_a_count_below_one_is_refused_in_one_line(state_home: Path) -> None:
    result = drill("--count", "0")
    assert result.returncode == 2
    assert result.stderr == "drill: --count must be at least 1\n"


def test_a_tree_without_cards_is_refused_in_one_line(state_home: Path, tmp_path: Path) -> None:
    result = drill(root=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"drill: no README under {tmp_path} has a '## The card' section yet\n"


def test_an_unreadable_progress_file_is_named_in_one_line(state_home: Path) -> None:
    progress = state_home / "backend-interview-answers" / "drill.json"
    progress.parent.mkdir(parents=True)
    progress.write_text("{not json")
    result = drill()
    assert result.returncode == 2
    assert result.stderr.startswith(f"drill: {progress} is not drill progress (")
    assert result.stderr.endswith("); delete it\n")
