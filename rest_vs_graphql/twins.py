"""One app, two twins: the REST routes and the GraphQL endpoint over the same service layer.

`/graphql` resolves relations through DataLoaders; `/graphql-naive` one statement per relation.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from error_handling.problems import install_problem_handlers
from rest_vs_graphql.graphql_http import create_graphql_router
from rest_vs_graphql.rest_api import create_rest_router
from rest_vs_graphql.settings import TwinSettings, get_twin_settings
from rest_vs_graphql.startup import freeze_heap_on_startup


def create_twins_app(engine: AsyncEngine, settings: TwinSettings | None = None) -> FastAPI:
    settings = settings or get_twin_settings()
    # Rows outlive the commit that created them: a response is built after `create_message` commits.
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI(title="REST and GraphQL twins", lifespan=freeze_heap_on_startup)
    install_problem_handlers(app)
    app.include_router(create_rest_router(sessions, settings=settings))
    app.include_router(create_graphql_router(sessions, settings=settings), prefix="/graphql")
    naive = create_graphql_router(sessions, settings=settings, batched=False)
    app.include_router(naive, prefix="/graphql-naive")
    return app
