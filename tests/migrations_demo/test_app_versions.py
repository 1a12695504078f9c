"""Old and new code run side by side during the expand phase; old code breaks only after contract."""

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from backing_services.urls import libpq_url
from migrations_demo import alembic_runner
from migrations_demo.app_versions import AppVersion, move_message, read_messages, write_message
from migrations_demo.settings import MigrationSettings
from migrations_demo.traffic import Traffic
from tests.migrations_demo.conftest import wait_until

EXPAND_PHASE = ["0004_backfill_account_id", "0005_index_account_id", "0007_account_id_not_null"]
# Rows whose two columns name different accounts (or one names none).
OUT_OF_STEP = (
    "SELECT count(*) FROM messages AS m LEFT JOIN accounts AS a ON a.id = m.account_id"
    " WHERE a.sid IS DISTINCT FROM m.account_sid"
)
MOVES_PER_VERSION = 40


def written_row(connection: psycopg.Connection[Any], message_id: int) -> tuple[Any, ...]:
    row = connection.execute(
        b"SELECT m.account_sid, a.sid FROM messages AS m JOIN accounts AS a ON a.id = m.account_id"
        b" WHERE m.id = %s",
        (message_id,),
    ).fetchone()
    assert row is not None, "the row has no account_id, or it names no account"
    return tuple(row)


def sid_of(connection: psycopg.Connection[Any], account: int) -> str:
    row = connection.execute(b"SELECT 'AC' || md5(%s::text)", (account,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("revision", EXPAND_PHASE)
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_both_app_versions_read_and_write_during_the_expand_phase(
    seeded_url: str, settings: MigrationSettings, revision: str, version: AppVersion
) -> None:
    # Rule: whichever version writes, the trigger fills the other column, so both columns agree
    # and both versions' reads work at every revision of the expand phase.
    alembic_runner.upgrade(seeded_url, revision, settings=settings)

    with psycopg.connect(libpq_url(seeded_url), autocommit=True) as connection:
        message_id = write_message(connection, version)
        account_sid, sid_of_account_id = written_row(connection, message_id)

        assert account_sid == sid_of_account_id
        assert read_messages(connection, "v1") == 10
        assert read_messages(connection, "v2") == 10


@pytest.mark.parametrize("revision", ["0003_expand_account_id", *EXPAND_PHASE])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_either_app_version_moving_a_message_to_another_account_moves_both_columns(
    seeded_url: str, settings: MigrationSettings, revision: str, version: AppVersion
) -> None:
    # Rule: an UPDATE of one column rewrites the other from it, so v1 changing account_sid never
    # leaves account_id naming the old account, and v2 changing account_id never leaves account_sid.
    alembic_runner.upgrade(seeded_url, revision, settings=settings)

    with psycopg.connect(libpq_url(seeded_url), autocommit=True) as connection:
        message_id = write_message(connection, "v1" if version == "v2" else "v2")
        before, _ = written_row(connection, message_id)
        account = 1 if before != sid_of(connection, 1) else 2

        assert move_message(connection, version, message=message_id, account=account) == 1
        assert written_row(connection, message_id) == (sid_of(connection, account),) * 2


def test_both_app_versions_moving_messages_under_traffic_through_the_expand_phase_keep_columns_in_step(
    seeded_url: str, settings: MigrationSettings, query: Callable[..., list[tuple[Any, ...]]]
) -> None:
    # Rule: with v1 and v2 inserting and moving messages while backfill, index, FK and NOT NULL run,
    # no row ends with its two columns naming different accounts, and no request fails.
    alembic_runner.upgrade(seeded_url, "0003_expand_account_id", settings=settings)
    with Traffic(
        seeded_url, versions=("v1", "v2"), readers=1, writers=2, movers=2, request_timeout_ms=30_000
    ) as traffic:
        alembic_runner.upgrade(seeded_url, "0007_account_id_not_null", settings=settings)
        wait_until(
            lambda: (
                min(traffic.count("move", "v1"), traffic.count("move", "v2")) >= MOVES_PER_VERSION
            ),
            what=f"{MOVES_PER_VERSION} moves by each app version",
            timeout_s=60,
        )

    assert min(traffic.count("move", "v1"), traffic.count("move", "v2")) >= MOVES_PER_VERSION
    assert [request for request in traffic.requests if not request.ok] == []
    assert query(OUT_OF_STEP) == [(0,)]


def test_old_code_fails_after_the_contract_step_which_is_why_it_ships_last(
    seeded_url: str, settings: MigrationSettings
) -> None:
    # Rule: contract removes what v1 needs, so v1 must be retired before it runs.
    alembic_runner.upgrade(seeded_url, "safe@head", settings=settings)

    with psycopg.connect(libpq_url(seeded_url), autocommit=True) as connection:
        assert read_messages(connection, "v2") == 10
        with pytest.raises(
            psycopg.errors.UndefinedColumn, match='column "account_sid" does not exist'
        ):
            read_messages(connection, "v1")
