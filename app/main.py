"""The mini Twilio: every answer composed into one FastAPI app.

Sign in (auth) → open an account → send a message (rate-limited, idempotent, outbox) → read it (REST or GraphQL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import redis.asyncio
from fastapi import Depends, FastAPI, Response, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api_security import api_key_router, get_security_settings, install_security
from app.accounts import accounts_router, reading_account, sending_account
from app.messaging import enqueue_delivery, graphql_caller, guarded_enqueue
from app.offline_docs import install_offline_docs
from app.settings import AppSettings
from auth import AuthSettings, build_auth_service
from auth import router as auth_router
from backing_services import Settings, get_settings, sqlalchemy_async_url
from error_handling import IdempotencyStore, idempotent_route, install_error_handling
from queue_demo.settings import QueueSettings
from rate_limiter import Policy, RedisTokenBucket
from rate_limiter.http import RateLimitHeadersMiddleware, rate_limit
from rate_limiter.settings import RateLimiterSettings, limiter_redis
from rest_vs_graphql.graphql_http import create_graphql_router
from rest_vs_graphql.rest_api import create_rest_router
from rest_vs_graphql.settings import TwinSettings
from rest_vs_graphql.startup import freeze_heap_on_startup

READINESS_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Clients:
    """The app's connections, made lazily (nothing connects until used) and closed at shutdown."""

    redis_client: redis.asyncio.Redis
    limiter_client: redis.asyncio.Redis
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def aclose(self) -> None:
        await self.redis_client.aclose()
        await self.limiter_client.aclose()
        await self.engine.dispose()


def create_app(
    settings: Settings | None = None, app_settings: AppSettings | None = None
) -> FastAPI:
    """The mini Twilio, in four steps: clients, the app with its lifespan, the routes, the layers."""
    settings = settings or get_settings()
    app_settings = app_settings or AppSettings()
    clients = connect(settings)
    docs = app_settings.docs_enabled(settings.environment)
    app = FastAPI(
        title="mini Twilio",
        lifespan=lifespan_of(clients),
        docs_url=None,  # offline docs install their own /docs below
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    add_operations_routes(app, clients)
    add_api_routes(app, clients, settings, app_settings)
    install_layers(app)
    return app


def connect(settings: Settings) -> Clients:
    if settings.redis_url is None or settings.database_url is None:
        raise RuntimeError("the app needs REDIS_URL and DATABASE_URL")
    shared_redis = redis.asyncio.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=READINESS_TIMEOUT_S,
        socket_connect_timeout=READINESS_TIMEOUT_S,
    )
    limiter_client = limiter_redis(settings.redis_url, RateLimiterSettings())
    engine = create_async_engine(sqlalchemy_async_url(settings.database_url), pool_pre_ping=True)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    return Clients(shared_redis, limiter_client, engine, sessions)


def lifespan_of(clients: Clients) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = clients.redis_client
        app.state.engine = clients.engine
        app.state.auth = await build_auth_service(
            AuthSettings(), clients.redis_client, clients.engine
        )
        # As the twins do: freeze the startup heap, so full collections stop walking it mid-request.
        async with freeze_heap_on_startup(app):
            yield
        await clients.aclose()

    return lifespan


def add_operations_routes(app: FastAPI, clients: Clients) -> None:
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz(response: Response) -> dict[str, str]:
        checks = {
            "redis": await _redis_answers(clients.redis_client),
            "postgres": await _postgres_answers(clients.engine),
        }
        ready = all(value == "ok" for value in checks.values())
        response.status_code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "ready" if ready else "not ready", **checks}


def send_limit(clients: Clients, app_settings: AppSettings) -> RedisTokenBucket:
    """One budget per account, whichever API sends: a burst, a refill rate, and an hourly cap."""
    return RedisTokenBucket(
        clients.limiter_client,
        app_settings.send_burst,
        app_settings.send_per_second,
        f"{RateLimiterSettings().key_prefix}:send",
        name="burst",
        extra_policies=[
            Policy("hourly", app_settings.send_per_hour, app_settings.send_per_hour / 3600)
        ],
    )


def add_api_routes(
    app: FastAPI, clients: Clients, settings: Settings, app_settings: AppSettings
) -> None:
    security = get_security_settings()
    send_bucket = send_limit(clients, app_settings)
    enqueue = enqueue_delivery(QueueSettings().stream, security.outbound_allowed_networks)
    twin_settings = TwinSettings(environment=settings.environment)
    app.include_router(auth_router)
    app.include_router(api_key_router(security))
    app.include_router(accounts_router(clients.sessions))
    app.include_router(
        create_rest_router(
            clients.sessions,
            settings=twin_settings,
            caller=reading_account,
            on_queued=enqueue,
            send_dependencies=[
                Depends(rate_limit(send_bucket, identity=sending_account, on_redis_error="closed"))
            ],
            # Keys belong to the sending account, and are looked up only once it has authenticated.
            route_class=idempotent_route(
                IdempotencyStore(clients.redis_client), owner=sending_account
            ),
        )
    )
    app.include_router(
        create_graphql_router(
            clients.sessions,
            settings=twin_settings,
            caller=graphql_caller,
            on_queued=guarded_enqueue(enqueue, send_bucket),
        ),
        prefix="/graphql",
    )


def install_layers(app: FastAPI) -> None:
    # Innermost first: the limiter's headers, then error handling, then the security layers,
    # whose headers thus also reach the 500s that error handling writes.
    app.add_middleware(RateLimitHeadersMiddleware)
    install_error_handling(app)
    install_security(app, get_security_settings())
    install_offline_docs(app)


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
