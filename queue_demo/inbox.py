"""How is an effect applied once when its event arrives twice? An inbox row per event, in the same commit.

The primary key (consumer, event_id) makes the second insert a no-op, and so the second effect.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# A batch's ids travel as one JSON array rather than a list: psycopg adapts a list in Python, one
# element at a time (about 1 µs each), while json.dumps writes the whole batch in C and escapes it
# exactly; PostgreSQL unpacks it (`python -m benchmarks.queue_demo_bench --profile`).
SELECT_SEEN = text(
    "SELECT event_id::text FROM inbox WHERE consumer = :consumer AND event_id IN"
    " (SELECT CAST(value AS uuid) FROM json_array_elements_text(CAST(:ids AS json)))"
)
# Sorted ids: two consumers racing on overlapping batches take row locks in the same order.
INSERT_NEW = text(
    "INSERT INTO inbox (consumer, event_id)"
    " SELECT :consumer, CAST(value AS uuid) AS id"
    " FROM json_array_elements_text(CAST(:ids AS json)) ORDER BY id"
    " ON CONFLICT DO NOTHING RETURNING event_id::text"
)


async def already_processed(
    session: AsyncSession, consumer: str, event_ids: Collection[str]
) -> set[str]:
    """The ids among `event_ids` this consumer has already applied (a cheap early skip, not the guard)."""
    rows = await session.execute(
        SELECT_SEEN, {"consumer": consumer, "ids": json.dumps(list(event_ids))}
    )
    return set(rows.scalars())


async def record_new(session: AsyncSession, consumer: str, event_ids: Collection[str]) -> set[str]:
    """Record `event_ids` as applied and return those that were not yet: apply the effect for these only.

    Call it in the effect's transaction; a concurrent duplicate waits on the row lock, then skips.
    """
    rows = await session.execute(
        INSERT_NEW, {"consumer": consumer, "ids": json.dumps(sorted(set(event_ids)))}
    )
    return set(rows.scalars())
