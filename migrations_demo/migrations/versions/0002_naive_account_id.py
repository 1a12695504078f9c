"""NAIVE: messages.account_sid → account_id (FK, NOT NULL, indexed) in one migration, as first written.

Revision ID: 0002_naive_account_id
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_naive_account_id"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = ("naive",)
depends_on: str | Sequence[str] | None = None


# Every statement runs in one transaction that holds ACCESS EXCLUSIVE on messages from the first
# ALTER to the COMMIT — through the full-table UPDATE, the NOT NULL scan and the index build — and
# it waits for that lock with no timeout, so every request queues behind it. Kept to be measured.
def upgrade() -> None:
    op.add_column("messages", sa.Column("account_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE messages AS m SET account_id = a.id FROM accounts AS a WHERE a.sid = m.account_sid"
    )
    op.alter_column("messages", "account_id", nullable=False)
    op.create_index("ix_messages_account_id_id", "messages", ["account_id", "id"])
    op.create_foreign_key("fk_messages_account_id", "messages", "accounts", ["account_id"], ["id"])
    op.drop_index("ix_messages_account_sid_id", table_name="messages")
    op.drop_column("messages", "account_sid")


def downgrade() -> None:
    op.add_column("messages", sa.Column("account_sid", sa.Text(), nullable=True))
    op.execute(
        "UPDATE messages AS m SET account_sid = a.sid FROM accounts AS a WHERE a.id = m.account_id"
    )
    op.alter_column("messages", "account_sid", nullable=False)
    op.create_index("ix_messages_account_sid_id", "messages", ["account_sid", "id"])
    op.drop_constraint("fk_messages_account_id", "messages", type_="foreignkey")
    op.drop_index("ix_messages_account_id_id", table_name="messages")
    op.drop_column("messages", "account_id")
