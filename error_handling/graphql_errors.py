"""How does GraphQL report errors in the same shape? Each error's `extensions` carries the problem.

Domain errors keep their detail; anything unexpected is logged once under an error id and masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import strawberry
import structlog
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

from error_handling.problems import DomainError, problem_body
from error_handling.request_logging import INTERNAL_ERROR_DETAIL

log = structlog.get_logger("error_handling.graphql")


def _is_unexpected(error: GraphQLError) -> bool:
    # No original error: the query itself was wrong (syntax, unknown field) — the client's to fix.
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


def _as_problem(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        message = original.detail
        problem = problem_body(
            original.status, original.detail, slug=original.slug, errors=original.errors
        )
    elif _is_unexpected(error):
        message = INTERNAL_ERROR_DETAIL
        error_id = (error.extensions or {}).get("error_id")
        problem = problem_body(500, message, slug="internal-error", extra={"error_id": error_id})
    else:
        message = error.message
        problem = problem_body(400, message, slug="graphql-invalid")
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=problem,
    )


class ProblemDetailsExtension(SchemaExtension):
    """Rewrite every error of the result after the operation, so none leaves unshaped."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [_as_problem(error) for error in errors]


class ProblemDetailsSchema(strawberry.Schema):
    """A `strawberry.Schema` whose errors answer as problems and are logged once, at the right level.

    `process_errors` runs before extensions rewrite the errors, so it still sees the originals.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["extensions"] = [*kwargs.get("extensions", ()), ProblemDetailsExtension]
        super().__init__(*args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _is_unexpected(error):
                error_id = uuid.uuid4().hex
                error.extensions = {**(error.extensions or {}), "error_id": error_id}
                log.error(
                    "graphql resolver failed",
                    error_id=error_id,
                    path=error.path,
                    exc_info=error.original_error,
                )
            else:
                log.info("graphql error", message=error.message, path=error.path)
