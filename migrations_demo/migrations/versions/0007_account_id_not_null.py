"""SAFE 5/6, NOT NULL: a CHECK added NOT VALID, VALIDATEd, then SET NOT NULL (which trusts the CHECK: no scan).

Revision ID: 0007_account_id_not_null
"""

from collections.abc import Sequence

from migrations_demo.safe_ddl import short_transactions

revision: str = "0007_account_id_not_null"
down_revision: str | None = "0006_fk_account_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The CHECK is then redundant and dropped; each step is its own short transaction.
def upgrade() -> None:
    with short_transactions() as run:
        run.set_not_null("messages", "account_id")


def downgrade() -> None:
    with short_transactions() as run:
        run("ALTER TABLE messages ALTER COLUMN account_id DROP NOT NULL")
