"""Schemathesis fuzzes each running service from its own OpenAPI schema: no 5xx, no off-schema answer."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzzing import FuzzCase, documented_operations

MAX_EXAMPLES = 10  # per operation: enough to hit every refusal, bounded for a shared CI box


EXPECTED_OPERATIONS = {
    "accounts_url": {("POST", "/accounts"), ("GET", "/accounts/{account_id}")},
    "messages_url": {("POST", "/messages")},
}


@pytest.mark.parametrize("service", ["accounts_url", "messages_url"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_generated_request_gets_a_5xx_or_an_off_schema_answer(
    service: str, mode: GenerationMode, request: pytest.FixtureRequest
) -> None:
    # Rule: for any request the schema allows (positive) or forbids (negative), the live service
    # never answers 5xx, and its answers match the schema it publishes: the contract's other half.
    base_url: str = request.getfixturevalue(service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = documented_operations(schema)

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: FuzzCase) -> None:
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        call()

    assert {(op.method.upper(), op.path) for op in operations} == EXPECTED_OPERATIONS[service]
