"""The one-shot `migrate` step of the compose demo: create the mini Twilio's tables if missing."""

import asyncio

from sqlalchemy.ext.asyncio import create_async_engine

from app.schema import create_tables
from backing_services import sqlalchemy_async_url
from backing_services.resolve import services_for_demo


async def migrate(database_url: str) -> None:
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    try:
        await create_tables(engine)
    finally:
        await engine.dispose()


def main() -> None:
    with services_for_demo() as services:
        asyncio.run(migrate(services.database_url))
        print(
            f"migrate: the mini Twilio's tables are in place at {services.database_url.split('@')[-1]}"
        )


if __name__ == "__main__":
    main()
