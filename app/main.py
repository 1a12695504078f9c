"""The composed app: every answer's routes mounted into one FastAPI application.

`/healthz` says the process is up; `/readyz` says Redis and PostgreSQL answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio
from fastapi import FastAPI, Response, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backing_services import Settings, get_settings, sqlalchemy_async_url

READINESS_TIMEOUT_S = 1.0


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if settings.redis_url is None or settings.database_url is None:
        raise RuntimeError("the app needs REDIS_URL and DATABASE_URL")
    redis_url, database_url = settings.redis_url, settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = redis.asyncio.Redis.from_url(
            redis_url,
            socket_timeout=READINESS_TIMEOUT_S,
            socket_connect_timeout=READINESS_TIMEOUT_S,
        )
        app.state.engine = create_async_engine(
            sqlalchemy_async_url(database_url),
            pool_pre_ping=True,
            connect_args={"connect_timeout": int(READINESS_TIMEOUT_S) or 1},
        )
        yield
        await app.state.redis.aclose()
        await app.state.engine.dispose()

    app = FastAPI(title="mini Twilio", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, str]:
        checks = {
            "redis": await _redis_answers(app.state.redis),
            "postgres": await _postgres_answers(app.state.engine),
        }
        ready = all(value == "ok" for value in checks.values())
        response.status_code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "ready" if ready else "not ready", **checks}

    return app


async def _redis_answers(client: redis.asyncio.Redis) -> str:
    try:
        await client.ping()
        return "ok"
    except (redis.RedisError, OSError) as error:
        return f"unreachable: {type(error).__name__}"


async def _postgres_answers(engine: AsyncEngine) -> str:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # any failure here means "not ready"; the type says which
        return f"unreachable: {type(error).__name__}"
