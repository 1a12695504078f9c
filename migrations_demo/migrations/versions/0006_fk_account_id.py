"""SAFE 4/6, foreign key: added NOT VALID (brief lock, no scan), then VALIDATEd in its own transaction.

Revision ID: 0006_fk_account_id
"""

from collections.abc import Sequence

from migrations_demo.safe_ddl import short_transactions

revision: str = "0006_fk_account_id"
down_revision: str | None = "0005_index_account_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# VALIDATE scans the table under SHARE UPDATE EXCLUSIVE, which lets reads and writes through.
def upgrade() -> None:
    with short_transactions() as run:
        run.add_constraint_not_valid(
            "messages",
            "fk_messages_account_id",
            "FOREIGN KEY (account_id) REFERENCES accounts (id)",
        )
        run(
            "ALTER TABLE messages VALIDATE CONSTRAINT fk_messages_account_id",
            statement_timeout_ms=0,
        )


def downgrade() -> None:
    with short_transactions() as run:
        run("ALTER TABLE messages DROP CONSTRAINT IF EXISTS fk_messages_account_id")
