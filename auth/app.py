"""Assemble the answer: an AuthService from settings, Redis and an engine, and a FastAPI app around it.

The composed app calls `build_auth_service` in its lifespan and includes `router` and `messages.router`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis.asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import messages, routes
from auth.models import metadata
from auth.service import AuthService
from auth.settings import AuthSettings
from error_handling.problems import install_problem_handlers


async def create_tables(engine: AsyncEngine) -> None:
    """For tests and demos; a deployed app would run migrations instead."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


async def build_auth_service(
    settings: AuthSettings,
    redis: redis.asyncio.Redis,
    engine: AsyncEngine,
    *,
    clock: Callable[[], float] = time.time,
) -> AuthService:
    """A ready service: its key ring is loaded (and the first key made) before any request arrives."""
    service = AuthService(settings, redis, engine, clock=clock)
    await service.key_ring()
    return service


def create_auth_app(service: AuthService) -> FastAPI:
    app = FastAPI(title="auth: authentication and authorization")
    app.state.auth = service
    install_problem_handlers(app)
    app.include_router(routes.router)
    app.include_router(messages.router)
    return app
