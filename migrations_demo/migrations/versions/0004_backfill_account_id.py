"""SAFE 2/6, backfill: fill account_id for existing rows in keyset batches, one commit per batch.

Revision ID: 0004_backfill_account_id
"""

from collections.abc import Sequence

from alembic import op

from migrations_demo.backfill import run_backfill
from migrations_demo.safe_ddl import short_transactions

revision: str = "0004_backfill_account_id"
down_revision: str | None = "0003_expand_account_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# New rows are already filled by the trigger; a killed run resumes where it stopped (backfill.py).
def upgrade() -> None:
    with short_transactions() as run:
        if run.connection is None:
            op.execute("SELECT 'backfill: python -m migrations_demo.backfill (batched, resumable)'")
            return
        result = run_backfill(
            run.connection, run.settings, show_progress=run.settings.show_progress
        )
        run.on_event(
            f"backfilled {result.rows_done} rows in {result.batches} batches "
            f"({result.rows_per_s:,.0f} rows/s)"
        )
        run.on_commit("backfill finished")  # each batch committed itself (see backfill.py)


def downgrade() -> None:
    # The values stay until the expand revision's downgrade drops the column; only the bookkeeping goes.
    with short_transactions() as run:
        run("DROP TABLE IF EXISTS backfill_progress")
