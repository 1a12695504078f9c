"""`python -m app.capacity`: the arithmetic on a fixed results folder, and each refusal in one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.capacity import Load, Results, ResultsError, size

FIXED = Path(__file__).parent / "capacity_results"
MEASURED = datetime(2026, 12, 1, 12, tzinfo=UTC)


def results(folder: Path = FIXED, days_later: int = 1, max_age_days: int = 90) -> Results:
    return Results(folder, timedelta(days=max_age_days), MEASURED + timedelta(days=days_later))


def test_each_line_is_the_load_divided_by_the_measured_capacity_at_the_headroom() -> None:
    # 1,000 sends/s at 50 % headroom: api 500/s each → 4; workers 2,000/s each → 1;
    # Redis 16 commands per send → 16,000 ops/s, against 200,000 × 0.5 → 1 primary.
    lines = {line.what: line for line in size(Load(sends_per_s=1000, message_bytes=60), results())}

    assert lines["api instances"].value == "4"
    assert lines["workers"].value == "1"
    assert lines["Redis operations/s"].value == "16,000"
    assert lines["Redis primaries"].value == "1"
    assert lines["PostgreSQL rows written/s"].value == "10,000"


def test_memory_and_storage_follow_the_backlog_the_retention_and_the_body_size() -> None:
    # 100 sends/s × 300 s × (400 B + 100 B more body than measured) = 15 MB of stream;
    # 100 × 86,400 × (3,000 + 100) B = 26.8 GB a day, × 30 days = 803.5 GB.
    load = Load(sends_per_s=100, message_bytes=160, backlog_minutes=5, retention_days=30)

    lines = {line.what: line for line in size(load, results())}

    assert lines["stream memory"].value == "15.0 MB"
    assert lines["PostgreSQL storage per day"].value == "26.8 GB"
    assert lines["PostgreSQL storage for 30 days"].value == "803.5 GB"


def test_every_line_names_the_file_the_field_and_the_day_it_was_measured() -> None:
    lines = size(Load(sends_per_s=10), results())

    assert "app.json: api.sends_per_s, measured 2026-12-01" in lines[0].because
    assert "queue_demo.json: runs.1.messages_per_s, measured 2026-12-01" in lines[1].because


def test_a_missing_results_file_is_refused_naming_the_command_that_makes_it(tmp_path: Path) -> None:
    shutil.copy(FIXED / "queue_demo.json", tmp_path)

    with pytest.raises(
        ResultsError, match=r"app.json is missing: run `python -m benchmarks.app_send` first"
    ):
        size(Load(sends_per_s=10), results(tmp_path))


def test_a_stale_results_file_is_refused_with_its_date() -> None:
    with pytest.raises(ResultsError, match=r"measured on 2026-12-01, more than 30 days ago"):
        size(Load(sends_per_s=10), results(days_later=31, max_age_days=30))


def test_a_results_file_without_the_figure_is_refused_naming_the_field(tmp_path: Path) -> None:
    shutil.copy(FIXED / "queue_demo.json", tmp_path)
    broken = json.loads((FIXED / "app.json").read_text())
    del broken["api"]
    (tmp_path / "app.json").write_text(json.dumps(broken))

    with pytest.raises(ResultsError, match=r"has no api.sends_per_s"):
        size(Load(sends_per_s=10), results(tmp_path))


def test_the_cli_prints_the_sizing_and_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "app.capacity", "--max-age-days", "100000", *argv]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    sized = run("--sends-per-second", "1000", "--results", str(FIXED))
    negative = run("--sends-per-second", "-5", "--results", str(FIXED))
    missing = run("--sends-per-second", "5", "--results", str(tmp_path))

    assert sized.returncode == 0, sized.stderr
    assert "api instances" in sized.stdout and "from 500 sends/s each" in sized.stdout
    assert negative.returncode == 2
    assert "--sends-per-second must be positive" in negative.stderr
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert missing.stderr.startswith("app.capacity: ") and "is missing" in missing.stderr


def test_the_readme_shows_what_the_command_prints_from_the_committed_results() -> None:
    # The README's sizing is the command's output, so a benchmark rerun must carry the README with it.
    readme = (Path(__file__).parents[2] / "app" / "README.md").read_text()
    command = "$ python -m app.capacity --sends-per-second 1000\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    # The committed results age and the command would refuse them one day; what they print does not.
    command_line = [sys.executable, "-m", "app.capacity", "--sends-per-second", "1000"]
    printed = subprocess.run(
        [*command_line, "--max-age-days", "100000"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert shown == printed
