"""Schemathesis fuzzes the whole mini Twilio, running as a real process, from its OpenAPI schema.

The fuzzing itself is api_security's (`tests/api_security/test_fuzz.py`); here it meets every mounted route.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis import GenerationMode

from app.walkthrough import PASSWORD
from backing_services.local_processes import free_port, running
from tests.api_security.test_fuzz import fuzz
from tests.fuzzing import documented_operations


@pytest.fixture
def composed(
    redis_url: str, migrated_database_url: str, tmp_path: Path
) -> Iterator[tuple[schemathesis.BaseSchema, dict[str, str]]]:
    port = free_port()
    env = {"REDIS_URL": redis_url, "DATABASE_URL": migrated_database_url, "PORT": str(port)}
    with running(
        [sys.executable, "-m", "app"], port=port, name="api", env=env, log_path=tmp_path / "api.log"
    ):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as client:
            client.post("/auth/users", json={"username": "fuzzer", "password": PASSWORD})
            token = client.post(
                "/auth/token",
                data={"grant_type": "password", "username": "fuzzer", "password": PASSWORD},
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            client.post("/2010-04-01/Accounts.json", data={"FriendlyName": "fuzz"}, headers=auth)
        yield schemathesis.openapi.from_url(f"{base}/openapi.json"), auth


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_request_to_the_composed_app_gets_a_5xx_or_an_off_schema_answer(
    composed: tuple[schemathesis.BaseSchema, dict[str, str]], mode: GenerationMode
) -> None:
    # Rule: every operation the composed app documents, fuzzed with a valid token, never answers 5xx.
    schema, auth_headers = composed
    operations = documented_operations(schema)

    fuzzed = [fuzz(operation, mode, None, headers=auth_headers) for operation in operations]

    assert len(operations) >= 15
    assert sum(fuzzed) >= 10
