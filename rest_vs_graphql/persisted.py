"""Persisted documents: an allow-list of the first-party client's queries, run by GET without parsing.

GraphQL over HTTP, proposed Appendix A (Persisted Documents): the id is `sha256:` + the hex SHA-256 of
the document's text, and each operation gets its own URL (`GET /graphql/sha256:…?variables={…}`), so
an HTTP cache keys and revalidates it like a REST resource. Documents are parsed and validated — with
the twin's depth, alias and token limits — once, when registered; a request looks one up and runs it.
"""

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeGuard, cast

from fastapi import APIRouter, Depends, Request, Response
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    specified_rules,
    validate,
)
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.base import BaseSchema

from error_handling.problems import problem_response
from rest_vs_graphql.conditional_get import entity_tag, matches
from rest_vs_graphql.graphql_context import TwinContext
from rest_vs_graphql.settings import TwinSettings

GRAPHQL_RESPONSE = "application/graphql-response+json"
# Strawberry's check is cheaper than graphql-core's default, and it runs once per field.
IS_AWAITABLE = cast(Callable[[Any], TypeGuard[Awaitable[Any]]], optimized_is_awaitable)
DOCUMENT_ID = re.compile(r"sha256:[0-9a-f]{64}")


class RegistrationError(ValueError):
    """A document the allow-list refuses: it must match its id, be valid, and within the limits."""


def document_id(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()


class PersistedDocuments:
    """Parsed and validated documents by id; registration is the only place they are checked."""

    def __init__(self, schema: BaseSchema, settings: TwinSettings, rules: Iterable[Any]) -> None:
        self.schema = schema
        # graphql-core's schema, which Strawberry built: executing on it skips Strawberry's parse step.
        self.graphql_schema: GraphQLSchema = schema._schema  # type: ignore[attr-defined]
        self._settings = settings
        self._rules = (*specified_rules, *rules)
        self._documents: dict[str, DocumentNode] = {}

    def register(self, source: str, expected_id: str | None = None) -> str:
        """Check `source` once and return its id; raise `RegistrationError` naming what is wrong."""
        actual_id = document_id(source)
        if expected_id is not None and expected_id != actual_id:
            raise RegistrationError(
                f"{expected_id} does not match the document, whose id is {actual_id}"
            )
        try:
            document = parse(source, max_tokens=self._settings.max_query_tokens)
        except GraphQLError as error:
            raise RegistrationError(error.message) from error
        if errors := validate(self.graphql_schema, document, self._rules):
            raise RegistrationError("; ".join(error.message for error in errors))
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
            # Persisted documents run by GET, and GET must never change state.
            raise RegistrationError("a persisted document holds exactly one query operation")
        self._documents[actual_id] = document
        return actual_id

    def get(self, id_: str) -> DocumentNode | None:
        return self._documents.get(id_)


def create_persisted_router(
    documents: PersistedDocuments,
    context: Callable[..., Any],
    settings: TwinSettings,
    coded_error: Callable[[GraphQLError], GraphQLError],
) -> APIRouter:
    """`GET /sha256:…` under the GraphQL router's prefix, with the same per-request context."""
    router = APIRouter()

    # No `from __future__ import annotations` here: FastAPI must see this closure's `context`.
    @router.get("/{persisted_id}", include_in_schema=False)
    async def run_persisted(
        request: Request, persisted_id: str, twin: Annotated[TwinContext, Depends(context)]
    ) -> Response:
        if not DOCUMENT_ID.fullmatch(persisted_id):
            detail = f"'{persisted_id}' is not a document id: expected sha256: and 64 lowercase hex digits"
            return problem_response(400, detail, slug="bad-document-id")
        variables = _variables(request.query_params.get("variables"))
        if not isinstance(variables, dict):
            detail = 'variables must be a JSON object, e.g. variables={"account":"AC…"}'
            return problem_response(400, detail, slug="bad-graphql-request")
        document = documents.get(persisted_id)
        if document is None:
            error = GraphQLError(f"No persisted document has the id {persisted_id}.")
            return _graphql_response(404, {"errors": [error.formatted]})
        result = execute(
            documents.graphql_schema,
            document,
            context_value=twin,
            variable_values=variables,
            is_awaitable=IS_AWAITABLE,
            executor_class=documents.schema.execution_context_class,  # type: ignore[attr-defined]
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        if result.errors:  # logged as on POST: only the unexpected ones
            documents.schema.process_errors(result.errors)
        return _respond(request, result, settings, coded_error)

    return router


def _variables(raw: str | None) -> object:
    if raw is None:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _respond(
    request: Request,
    result: ExecutionResult,
    settings: TwinSettings,
    coded_error: Callable[[GraphQLError], GraphQLError],
) -> Response:
    """200 with an ETag (304 when the client's copy is current), or 400 for a request error."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [coded_error(error).formatted for error in result.errors]
    if result.errors and all(error.path is None for error in result.errors):
        # Variables that do not fit: execution never began, so no `data` (as a POST would answer).
        return _graphql_response(400, {"errors": payload["errors"]})
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"ETag": entity_tag(body), "Cache-Control": settings.cache_control}
    if matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=GRAPHQL_RESPONSE, headers=headers)


def _graphql_response(status: int, payload: dict[str, Any]) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=GRAPHQL_RESPONSE)
