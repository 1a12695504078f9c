"""Fixtures for the composed app's tests: a migrated schema, and a tiny GraphQL app for the docs tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from app.migrate import migrate
from app.offline_docs import install_offline_docs


@strawberry.type
class Query:
    @strawberry.field
    def greeting(self) -> str:
        return "hello from the tiny schema"


def tiny_graphql_app(*, graphql_ide: bool) -> FastAPI:
    """Stands in for the composed app's `/graphql` until a test needs nothing but the router."""
    app = FastAPI(title="tiny GraphQL", docs_url=None)
    router: GraphQLRouter[None, None] = GraphQLRouter(
        strawberry.Schema(query=Query), graphql_ide="graphiql" if graphql_ide else None
    )
    app.include_router(router, prefix="/graphql")
    install_offline_docs(app)
    return app


@pytest.fixture
def make_tiny_graphql_app() -> Callable[..., FastAPI]:
    return tiny_graphql_app


@pytest.fixture
def migrated_database_url(database_url: str) -> str:
    """This test's schema with the mini Twilio's tables in it, as the compose `migrate` step leaves it."""
    asyncio.run(migrate(database_url))
    return database_url
