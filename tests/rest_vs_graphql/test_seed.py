"""The seeding command builds the same realistic data set every time, at the size asked."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backing_services.schemas import drop_schema, recreate_schema
from rest_vs_graphql.seed import SeedSize, seed


async def test_seeding_twice_gives_identical_rows_and_the_asked_sizes(
    database_url: str, engine: AsyncEngine
) -> None:
    # Rule: a fixed random seed makes every benchmark run measure the same data.
    size = SeedSize(accounts=2, numbers_per_account=3, messages=50, conversations_per_account=4)
    first = seed(database_url, size)
    other_url = recreate_schema(database_url, "t_rest_vs_graphql_seed_twin")
    try:
        second = seed(other_url, size)
    finally:
        drop_schema(database_url, "t_rest_vs_graphql_seed_twin")

    async with engine.connect() as connection:
        counts = [
            (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608 - fixed names
            for table in ("accounts", "phone_numbers", "messages", "conversations")
        ]
        statuses = set((await connection.execute(text("SELECT status FROM messages"))).scalars())

    assert first.account_sids == second.account_sids
    assert counts == [2, 6, 50, 8]
    assert statuses <= {"queued", "sent", "delivered", "failed", "received"}
