"""The tables the queue needs (messages, outbox, inbox, deliveries), created from `schema.sql`."""

from __future__ import annotations

from importlib.resources import files

from sqlalchemy.ext.asyncio import AsyncEngine

SCHEMA_SQL = files("queue_demo").joinpath("schema.sql").read_text()


async def create_tables(engine: AsyncEngine) -> None:
    """Create the tables if they are missing; safe to call from every process at start-up."""
    async with engine.begin() as connection:
        # Two processes creating the same tables at once collide in the catalog; take turns.
        await connection.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext('queue_demo.schema'))"
        )
        # Statements one by one: the driver runs one statement per execute with parameters off.
        for statement in SCHEMA_SQL.split(";"):
            if statement.strip():
                await connection.exec_driver_sql(statement)
