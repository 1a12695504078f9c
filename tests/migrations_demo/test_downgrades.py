"""Every safe revision can be rolled back, one step at a time, to the baseline — and forward again."""

from collections.abc import Callable
from typing import Any

from migrations_demo import alembic_runner
from migrations_demo.settings import MigrationSettings

SAFE_PATH = [
    "0001_baseline",
    "0003_expand_account_id",
    "0004_backfill_account_id",
    "0005_index_account_id",
    "0006_fk_account_id",
    "0007_account_id_not_null",
    "0008_contract_account_sid",
]
BASELINE_COLUMNS = {"id", "account_sid", "to_number", "from_number", "body", "status", "created_at"}
COLUMNS = (
    "SELECT column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name = 'messages' ORDER BY ordinal_position"
)
DATA = (
    "SELECT md5(string_agg(id || ':' || account_sid || ':' || body, ',' ORDER BY id)) FROM messages"
)


def test_every_safe_revision_downgrades_one_step_at_a_time_back_to_the_baseline(
    seeded_url: str, settings: MigrationSettings, query: Callable[..., list[tuple[Any, ...]]]
) -> None:
    # Rule: each downgrade lands on the previous revision, and the baseline comes back with
    # its columns and its data as they were; the path then upgrades again.
    before = query(DATA)
    alembic_runner.upgrade(seeded_url, "safe@head", settings=settings)

    for previous in reversed(SAFE_PATH[:-1]):
        alembic_runner.downgrade(seeded_url, "-1", settings=settings)
        assert alembic_runner.current_revisions(seeded_url) == {previous}

    # The restored column comes back last: PostgreSQL cannot reorder columns, and nothing should care.
    assert {name for (name,) in query(COLUMNS)} == BASELINE_COLUMNS
    assert query(DATA) == before
    assert query("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'messages'::regclass") == [(0,)]
    alembic_runner.upgrade(seeded_url, "safe@head", settings=settings)
    assert alembic_runner.current_revisions(seeded_url) == {SAFE_PATH[-1]}
