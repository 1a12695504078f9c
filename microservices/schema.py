"""The tables both architectures use: accounts, sent messages, billing records, and queue_demo's outbox and inbox."""

from __future__ import annotations

from importlib.resources import files

from sqlalchemy.ext.asyncio import AsyncEngine

from queue_demo.schema import create_tables as create_queue_tables

SCHEMA_SQL = files("microservices").joinpath("schema.sql").read_text()


async def create_tables(engine: AsyncEngine) -> None:
    """Create the tables if missing; safe from every process at start-up."""
    await create_queue_tables(engine, with_messages=False)  # our messages table is sent_messages
    async with engine.begin() as connection:
        # Several services start at once in the demo; the catalog wants one creator at a time.
        await connection.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext('microservices.schema'))"
        )
        for statement in SCHEMA_SQL.split(";"):
            if statement.strip():
                await connection.exec_driver_sql(statement)
