"""SAFE 6/6, contract: drop account_sid and the trigger — only once no running code reads or writes it.

Revision ID: 0008_contract_account_sid
"""

from collections.abc import Sequence
from pathlib import Path

from migrations_demo.safe_ddl import short_transactions

revision: str = "0008_contract_account_sid"
down_revision: str | None = "0007_account_id_not_null"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNC_TRIGGER = (Path(__file__).parents[2] / "sql" / "sync_account_columns.sql").read_text()


def upgrade() -> None:
    with short_transactions() as run:
        run.drop_index_concurrently("ix_messages_account_sid_id")
        run(
            "DROP TRIGGER IF EXISTS messages_sync_account ON messages",
            # squawk: dropping is the point of a contract step; the code that needed them is retired.
            "-- squawk-ignore ban-drop-function\nDROP FUNCTION IF EXISTS messages_sync_account()",
            "-- squawk-ignore ban-drop-column\nALTER TABLE messages DROP COLUMN IF EXISTS account_sid",
        )


def downgrade() -> None:
    # A rollback drill: restore the column, refill it, and restore its constraint and index.
    # On a big table you would batch the refill (or, more often, roll forward instead).
    with short_transactions() as run:
        run("ALTER TABLE messages ADD COLUMN IF NOT EXISTS account_sid text", SYNC_TRIGGER)
        run(
            "UPDATE messages AS m SET account_sid = a.sid FROM accounts AS a "
            "WHERE a.id = m.account_id AND m.account_sid IS NULL",
            statement_timeout_ms=0,
        )
        run.set_not_null("messages", "account_sid")
        run.create_index_concurrently("ix_messages_account_sid_id", "messages", "account_sid, id")
