"""A backfill killed mid-run resumes where it stopped: nothing lost, nothing written twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from backing_services.local_processes import free_port
from backing_services.resolve import ServiceURLs
from migrations_demo import alembic_runner
from migrations_demo.backfill import main as backfill_main
from migrations_demo.settings import MigrationSettings
from tests.migrations_demo.conftest import ROWS, wait_until

Query = Callable[..., list[tuple[Any, ...]]]
# What every row must end up as: its own columns unchanged, account_id the id of its account_sid.
EXPECTED = (
    "SELECT md5(string_agg(m.id || ':' || a.id || ':' || m.account_sid || ':' || m.body, ',' ORDER BY m.id))"
    " FROM messages AS m JOIN accounts AS a ON a.sid = m.account_sid"
)
ACTUAL = (
    "SELECT md5(string_agg(id || ':' || account_id || ':' || account_sid || ':' || body, ',' ORDER BY id))"
    " FROM messages"
)


def progress(query: Query) -> tuple[int, int, bool]:
    if query("SELECT to_regclass('backfill_progress')") == [(None,)]:
        return (0, 0, False)  # the backfill has not started yet
    rows = query("SELECT last_id, rows_done, finished FROM backfill_progress")
    return rows[0] if rows else (0, 0, False)


def test_backfill_killed_mid_run_then_resumed_matches_the_expected_checksum(
    seeded_url: str, settings: MigrationSettings, query: Query
) -> None:
    # Rule: data and position commit together, so SIGKILL between (or inside) batches loses
    # nothing, and the resumed run counts each row exactly once.
    alembic_runner.upgrade(seeded_url, "0003_expand_account_id", settings=settings)
    expected = query(EXPECTED)
    backfill = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "migrations_demo.backfill",
            "--database-url",
            seeded_url,
            "--batch-size",
            "100",
            "--pause-ms",
            "40",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: progress(query)[1] > 0, what="the first batch", watch=backfill)
        backfill.send_signal(signal.SIGKILL)
    finally:
        backfill.wait(timeout=10)

    _, done_at_kill, finished_at_kill = progress(query)
    assert 0 < done_at_kill < ROWS and not finished_at_kill
    assert query("SELECT count(*) FROM messages WHERE account_id IS NULL") == [
        (ROWS - done_at_kill,)
    ]

    alembic_runner.upgrade(seeded_url, "0004_backfill_account_id", settings=settings)

    assert progress(query)[1:] == (ROWS, True)
    assert query("SELECT count(*) FROM messages WHERE account_id IS NULL") == [(0,)]
    assert query(ACTUAL) == expected


def test_backfill_cli_refuses_a_batch_size_below_one(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rule: bad flags are refused with one clear line, before touching the database.
    with pytest.raises(SystemExit) as exited:
        backfill_main(["--database-url", database_url, "--batch-size", "0"])

    assert exited.value.code == 2
    assert (
        capsys.readouterr().err.splitlines()[-1].endswith("error: --batch-size must be at least 1")
    )


def test_backfill_cli_refuses_a_negative_pause(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rule: a negative throttle is a typo, not a request to go faster.
    with pytest.raises(SystemExit) as exited:
        backfill_main(["--database-url", database_url, "--pause-ms", "-5"])

    assert exited.value.code == 2
    assert (
        capsys.readouterr().err.splitlines()[-1].endswith("error: --pause-ms must not be negative")
    )


def test_backfill_cli_says_in_one_line_when_postgres_is_unreachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Rule: an unreachable server is one line naming it, not a traceback.
    with pytest.raises(SystemExit) as exited:
        backfill_main(
            [
                "--database-url",
                f"postgresql://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2",
            ]
        )

    assert str(exited.value).startswith(
        "cannot backfill: PostgreSQL is not answering (connection failed:"
    )
    assert "\n" not in str(exited.value)


def test_backfill_cli_says_in_one_line_when_the_database_does_not_exist(
    service_urls: ServiceURLs,
) -> None:
    # Rule: a server that answers but lacks the named database is named, with how to create it.
    missing = f"no_such_db_{uuid.uuid4().hex[:8]}"
    url = make_url(service_urls.database_url).set(database=missing)

    with pytest.raises(SystemExit) as exited:
        backfill_main(["--database-url", url.render_as_string(hide_password=False)])

    assert str(exited.value).startswith("cannot backfill: PostgreSQL at ")
    assert f'has no database "{missing}" (--database-url): create it (createdb ' in str(
        exited.value
    )
    assert "\n" not in str(exited.value)
