"""The tables the queue needs: outbox, inbox and deliveries (`schema.sql`), and this demo's own
`messages` (`messages.sql`), which a host app that has a messages table of its own leaves out.
"""

from __future__ import annotations

from importlib.resources import files

from sqlalchemy.ext.asyncio import AsyncEngine

SCHEMA_SQL = files("queue_demo").joinpath("schema.sql").read_text()
MESSAGES_SQL = files("queue_demo").joinpath("messages.sql").read_text()


async def create_tables(engine: AsyncEngine, *, with_messages: bool = True) -> None:
    """Create the tables if they are missing; safe to call from every process at start-up."""
    script = (MESSAGES_SQL if with_messages else "") + SCHEMA_SQL
    async with engine.begin() as connection:
        # Two processes creating the same tables at once collide in the catalog; take turns.
        await connection.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext('queue_demo.schema'))"
        )
        # Statements one by one: the driver runs one statement per execute with parameters off.
        for statement in script.split(";"):
            if statement.strip():
                await connection.exec_driver_sql(statement)
