"""How does the OpenAPI schema tell clients what a refusal looks like? Each route lists its problem+json answers.

Documented refusals are what lets the fuzzer check error bodies against a schema, not only successes.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict

from error_handling.problems import PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details, as `error_handling.problems` writes them."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` argument of a route that may refuse with these statuses."""
    schema = {"schema": Problem.model_json_schema()}
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: schema}}
        for status in statuses
    }
