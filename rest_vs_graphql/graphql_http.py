"""The GraphQL twin on HTTP: one schema with its guards, served by Strawberry's GraphQLRouter.

It follows the GraphQL-over-HTTP draft: ask for `application/graphql-response+json` to get 400 on request errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

import strawberry
from cross_web import HTTPException
from fastapi import Depends, Request
from graphql import ASTValidationRule, GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import ExecutionContext
from strawberry.types.unset import UNSET

from error_handling.problems import DomainError, problem_response
from rest_vs_graphql.graphql_context import RequestDatabase, TwinContext
from rest_vs_graphql.graphql_schema import Mutation, Query
from rest_vs_graphql.persisted import PersistedDocuments, create_persisted_router
from rest_vs_graphql.plain_leaves import PlainLeafExecutor, mark_plain_leaves
from rest_vs_graphql.rest_api import no_authentication
from rest_vs_graphql.screens import PERSISTED_QUERIES
from rest_vs_graphql.service import MessageQueued
from rest_vs_graphql.settings import TwinSettings, get_twin_settings

GRAPHQL_RESPONSE = "application/graphql-response+json"
UNEXPECTED = "Unexpected error."


class ErrorCodes(SchemaExtension):
    """Domain errors keep their message and gain `extensions.code`; anything else is masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [coded_error(error) for error in errors]


def coded_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error  # a parse, validation or argument error: its message is already clear
    if isinstance(original, DomainError):
        extensions: dict[str, Any] = {"code": original.slug, "status": original.status}
        if original.errors:
            extensions["errors"] = original.errors
        message = original.detail
    else:
        extensions, message = {"code": "internal-error"}, UNEXPECTED
    # The original stays attached (it is never serialised) so that logging can tell them apart.
    return GraphQLError(
        message, error.nodes, error.source, error.positions, error.path, original, extensions
    )


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


class TwinSchema(strawberry.Schema):
    """Logs only unexpected errors: a client's bad input is an answer, not an incident."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors([e for e in errors if _unexpected(e)], execution_context)


def guard_rules(settings: TwinSettings) -> list[type[ASTValidationRule]]:
    """The depth, alias and introspection guards as validation rules, built once.

    Built per request, each limiter would make new rule classes and miss the validation cache.
    """
    limiters: list[AddValidationRules] = [
        QueryDepthLimiter(max_depth=settings.max_query_depth),
        MaxAliasesLimiter(max_alias_count=settings.max_query_aliases),
    ]
    if settings.environment != "development":
        limiters.append(DisableIntrospection())
    return [rule for limiter in limiters for rule in limiter.validation_rules]


def build_schema(settings: TwinSettings, *, plain_leaves: bool = True) -> TwinSchema:
    """The twin's schema; `plain_leaves=False` keeps graphql-core's stock executor (benchmarked against)."""
    rules = guard_rules(settings)
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        # Parsing and validating a repeated document is ~half a small query's cost (benchmarked).
        ParserCache,
        ValidationCache,
        ErrorCodes,
    ]
    schema = TwinSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=PlainLeafExecutor if plain_leaves else None,
    )
    if plain_leaves:
        mark_plain_leaves(schema._schema)
    return schema


def allow_list(
    schema: TwinSchema, settings: TwinSettings, sources: Iterable[str]
) -> PersistedDocuments:
    """Register each document, checked once against the schema and the guards."""
    documents = PersistedDocuments(schema, settings, guard_rules(settings))
    for source in sources:
        documents.register(source)
    return documents


class GraphQLOverHTTPRouter(GraphQLRouter[TwinContext, None]):
    """Strawberry's router, plus the draft's status codes and problem+json for HTTP-level errors."""

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if _is_request_error(result) and _wants_graphql_response(request):
            # Execution never started (parse, validation, variable errors): no `data` entry at all.
            request.state.graphql_request_error = True
            response.pop("data", None)
        return response

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as error:  # a body that is not a GraphQL request at all
            return problem_response(error.status_code, error.reason, slug="bad-graphql-request")
        if isinstance(request, Request) and _wants_graphql_response(request):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if getattr(request.state, "graphql_request_error", False):
                response.status_code = 400
        return response


def _is_request_error(result: ExecutionResult) -> bool:
    """Field errors carry a `path`; errors raised before execution began never do."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or [])
    )


def _wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE in request.headers.get("accept", "")


def create_graphql_router(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    settings: TwinSettings | None = None,
    caller: Callable[..., Awaitable[str | None]] = no_authentication,
    batched: bool = True,
    on_queued: MessageQueued | None = None,
) -> GraphQLRouter[TwinContext, None]:
    """Mount with `app.include_router(router, prefix="/graphql")`; `batched=False` shows N+1."""
    settings = settings or get_twin_settings()

    async def context(who: str | None = Depends(caller)) -> AsyncIterator[TwinContext]:
        async with session_factory() as session:
            yield TwinContext(
                RequestDatabase(session),
                caller=who,
                batched=batched,
                settings=settings,
                on_queued=on_queued,
            )

    development = settings.environment == "development"
    schema = build_schema(settings)
    router = GraphQLOverHTTPRouter(
        schema,
        # FastAPI runs generator dependencies to the end after the response: the session closes.
        context_getter=context,  # type: ignore[arg-type]
        graphql_ide="graphiql" if development else None,
        allow_queries_via_get=False,
    )
    # Queries by GET only from the allow-list: `GET /graphql/sha256:…` (see persisted.py).
    persisted = allow_list(schema, settings, PERSISTED_QUERIES)  # as the client's build uploads it
    router.include_router(create_persisted_router(persisted, context, settings, coded_error))
    return router
