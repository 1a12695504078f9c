"""Schemathesis fuzzes the app from its own OpenAPI schema: whatever it sends, no 5xx, and responses match the schema.

The app comes from `fuzz_target`; point it at the composed app to fuzz everything mounted there.
"""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.ext.asyncio import create_async_engine

from api_security.api_keys import ApiKeyStore, Base
from api_security.demo_app import create_app
from api_security.settings import SecuritySettings
from backing_services import sqlalchemy_async_url
from tests.api_security.conftest import ALL_SCOPES

MAX_EXAMPLES = 15  # per operation; enough to hit every refusal path, bounded for a shared CI box


def fuzz_target(settings: SecuritySettings, redis_url: str, database_url: str) -> FastAPI:
    """The ASGI app under fuzz; the composed app's factory can stand in here."""
    return create_app(settings, redis_url=redis_url, database_url=database_url)


async def seed_root_key(database_url: str, pepper: str) -> tuple[str, str]:
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        new = await ApiKeyStore(engine, pepper).create("fuzzer", ALL_SCOPES, owner="ACfuzzer")
        return new.key.sid, new.secret
    finally:
        await engine.dispose()


@pytest.fixture
def fuzz_credentials(settings: SecuritySettings, database_url: str) -> tuple[str, str]:
    # A real key, so the fuzzer gets past authentication and reaches the handlers.
    return asyncio.run(seed_root_key(database_url, settings.api_key_pepper.get_secret_value()))


@pytest.fixture
def fuzz_schema(
    settings: SecuritySettings, redis_url: str, database_url: str, fuzz_credentials: tuple[str, str]
) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi(
        "/openapi.json", fuzz_target(settings, redis_url, database_url)
    )


def fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    auth: tuple[str, str] | None,
    headers: dict[str, str] | None = None,
) -> bool:
    """Fuzz one operation; False when the schema leaves nothing to generate in this mode."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,  # the same examples every run: a failure is reproducible, not luck
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(
            auth=auth, headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    if mode is GenerationMode.NEGATIVE and not (
        operation.body or operation.query or operation.path_parameters
    ):
        return False  # only a string header to vary, and every header value is a string
    try:
        call()
    except Unsatisfiable:  # e.g. no parameter can be made invalid, so negative mode has no cases
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("authenticated", [True, False], ids=["with-key", "anonymous"])
def test_no_generated_request_gets_a_5xx_or_an_off_schema_answer(
    fuzz_schema: schemathesis.BaseSchema,
    fuzz_credentials: tuple[str, str],
    mode: GenerationMode,
    authenticated: bool,
) -> None:
    # Rule: for any request the schema allows (positive) or forbids (negative), with or without a
    # valid key, the answer is never a 5xx and matches the documented response schema.
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]

    fuzzed = [fuzz(op, mode, fuzz_credentials if authenticated else None) for op in operations]

    assert len(operations) >= 5
    assert sum(fuzzed) >= 3
