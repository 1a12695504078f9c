"""SAFE 1/6, expand: add messages.account_id (nullable, no default: a catalog-only change) and the dual-write trigger.

Revision ID: 0003_expand_account_id
"""

from collections.abc import Sequence
from pathlib import Path

from migrations_demo.safe_ddl import short_transactions

revision: str = "0003_expand_account_id"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = ("safe",)
depends_on: str | Sequence[str] | None = None

SYNC_TRIGGER = (Path(__file__).parents[2] / "sql" / "sync_account_columns.sql").read_text()


# Both statements share one short transaction so no row is written between them without the trigger.
def upgrade() -> None:
    with short_transactions() as run:
        run("ALTER TABLE messages ADD COLUMN IF NOT EXISTS account_id bigint", SYNC_TRIGGER)


def downgrade() -> None:
    with short_transactions() as run:
        run(
            "DROP TRIGGER IF EXISTS messages_sync_account ON messages",
            "DROP FUNCTION IF EXISTS messages_sync_account()",
            "ALTER TABLE messages DROP COLUMN IF EXISTS account_id",
        )
