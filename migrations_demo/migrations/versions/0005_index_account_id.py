"""SAFE 3/6, index: (account_id, id) built CONCURRENTLY, outside a transaction, writes never blocked.

Revision ID: 0005_index_account_id
"""

from collections.abc import Sequence

from migrations_demo.safe_ddl import short_transactions

revision: str = "0005_index_account_id"
down_revision: str | None = "0004_backfill_account_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# An INVALID index left by a failed build is dropped and rebuilt (see safe_ddl.create_index_concurrently).
def upgrade() -> None:
    with short_transactions() as run:
        run.create_index_concurrently("ix_messages_account_id_id", "messages", "account_id, id")


def downgrade() -> None:
    with short_transactions() as run:
        run.drop_index_concurrently("ix_messages_account_id_id")
