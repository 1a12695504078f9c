"""Every safe revision, SIGKILLed after any of its commits and before its stamp, reruns to the end.

A deploy pod can be evicted between a revision's DDL commit and Alembic's `alembic_version` update;
the next deploy then runs the whole revision again over what it already did.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from backing_services.schemas import recreate_schema
from migrations_demo import alembic_runner
from migrations_demo.scenario import seed
from migrations_demo.settings import MigrationSettings

Query = Callable[..., list[tuple[Any, ...]]]
SHAPE = (Path(__file__).parent / "schema_shape.sql").read_text()
SAFE_PATH = [
    "0001_baseline",
    "0003_expand_account_id",
    "0004_backfill_account_id",
    "0005_index_account_id",
    "0006_fk_account_id",
    "0007_account_id_not_null",
    "0008_contract_account_sid",
]
STEPS = list(itertools.pairwise(SAFE_PATH))  # (previous, revision)
ROWS = 1_000
DATA = "SELECT md5(string_agg(id || ':' || {column} || ':' || body, ',' ORDER BY id)) FROM messages"


def schema_of(database_url: str) -> str:
    return str(make_url(database_url).query["options"]).split("=", 1)[1]


def start_over(database_url: str, revision: str, settings: MigrationSettings) -> None:
    """An empty schema, seeded at the baseline and migrated to `revision`."""
    recreate_schema(database_url, schema_of(database_url))
    seed(database_url, ROWS)
    alembic_runner.upgrade(database_url, revision, settings=settings)


def killed_after_commit(database_url: str, direction: str, target: str, commit: int) -> str | None:
    """Run the migration in a child killed right after its `commit`th commit; the step, or None."""
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.migrations_demo.kill_at_commit",
            database_url,
            direction,
            target,
            str(commit),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if child.returncode == 0:
        return None  # the migration has fewer commits than that: every kill point is covered
    assert child.returncode == -signal.SIGKILL, child.stderr
    return child.stdout.strip()


@pytest.mark.parametrize(("previous", "revision"), STEPS, ids=[step[1] for step in STEPS])
def test_a_safe_revision_killed_after_any_commit_before_its_stamp_reruns_to_the_head(
    database_url: str, settings: MigrationSettings, query: Query, previous: str, revision: str
) -> None:
    # Rule: whatever a killed run committed, the next `upgrade safe@head` finishes, and the schema
    # and data end exactly as after a run that was never killed.
    start_over(database_url, alembic_runner.SAFE_HEAD, settings)
    clean = (query(SHAPE), query(DATA.format(column="account_id")))

    commit = 0
    while True:
        commit += 1
        start_over(database_url, previous, settings)
        step = killed_after_commit(database_url, "upgrade", revision, commit)
        if step is None:
            break
        assert alembic_runner.current_revisions(database_url) == {previous}, step

        alembic_runner.upgrade(database_url, alembic_runner.SAFE_HEAD, settings=settings)

        assert alembic_runner.current_revisions(database_url) == {SAFE_PATH[-1]}, step
        assert (query(SHAPE), query(DATA.format(column="account_id"))) == clean, step
    assert commit > 1, "the revision committed nothing, so nothing was killed"


@pytest.mark.parametrize(("previous", "revision"), STEPS, ids=[step[1] for step in STEPS])
def test_a_safe_downgrade_killed_after_any_commit_before_its_stamp_reruns_to_the_baseline(
    database_url: str, settings: MigrationSettings, query: Query, previous: str, revision: str
) -> None:
    # Rule: rollbacks get evicted too; a rerun of the downgrade restores the baseline as it was.
    start_over(database_url, alembic_runner.BASELINE, settings)
    clean = (query(SHAPE), query(DATA.format(column="account_sid")))

    commit = 0
    while True:
        commit += 1
        start_over(database_url, revision, settings)
        step = killed_after_commit(database_url, "downgrade", previous, commit)
        if step is None:
            break
        assert alembic_runner.current_revisions(database_url) == {revision}, step

        alembic_runner.downgrade(database_url, alembic_runner.BASELINE, settings=settings)

        assert alembic_runner.current_revisions(database_url) == {alembic_runner.BASELINE}, step
        assert (query(SHAPE), query(DATA.format(column="account_sid"))) == clean, step
    assert commit > 1, "the downgrade committed nothing, so nothing was killed"
