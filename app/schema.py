"""The mini Twilio's tables, from each package's own definitions, in one idempotent step."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from api_security.api_keys import Base as ApiKeysBase
from auth import create_tables as create_auth_tables
from queue_demo.schema import create_tables as create_queue_tables
from rest_vs_graphql.models import Base as TwinBase


async def create_tables(engine: AsyncEngine) -> None:
    """Create what is missing; the messages table is the REST/GraphQL twin's, not queue_demo's."""
    await create_auth_tables(engine)
    async with engine.begin() as connection:
        await connection.run_sync(ApiKeysBase.metadata.create_all)
        await connection.run_sync(TwinBase.metadata.create_all)
    await create_queue_tables(engine, with_messages=False)
