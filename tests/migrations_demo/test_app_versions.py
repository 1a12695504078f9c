"""Old and new code run side by side during the expand phase; old code breaks only after contract."""

from typing import Any

import psycopg
import pytest

from backing_services.urls import libpq_url
from migrations_demo import alembic_runner
from migrations_demo.app_versions import AppVersion, read_messages, write_message
from migrations_demo.settings import MigrationSettings

EXPAND_PHASE = ["0004_backfill_account_id", "0005_index_account_id", "0007_account_id_not_null"]


def written_row(connection: psycopg.Connection[Any], message_id: int) -> tuple[Any, ...]:
    row = connection.execute(
        b"SELECT m.account_sid, a.sid FROM messages AS m JOIN accounts AS a ON a.id = m.account_id"
        b" WHERE m.id = %s",
        (message_id,),
    ).fetchone()
    assert row is not None, "the row has no account_id, or it names no account"
    return tuple(row)


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
