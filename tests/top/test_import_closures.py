"""The base layer stays light: importing it does not load the frameworks its importers may not use.

Every package raises `error_handling.problems`; if that import pulled in Strawberry or SQLAlchemy,
each of them would pay for it at start-up (and a rate limiter would carry a GraphQL server).
Each module is imported in a fresh interpreter, and the modules it loaded are read from `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("strawberry", "sqlalchemy", "fastapi", "starlette", "redis", "pydantic")
GRAPHQL_AND_SQL = ("strawberry", "graphql", "sqlalchemy", "psycopg", "asyncpg")

# module → the top-level packages its import must not load.
LIGHT = {
    # The package itself loads nothing: its public names load their module on first use.
    "error_handling": FRAMEWORKS,
    "error_handling.problems": (*GRAPHQL_AND_SQL, "redis"),
    "error_handling.retry": FRAMEWORKS,
    "error_handling.structured_logging": (*GRAPHQL_AND_SQL, "fastapi", "redis"),
    # Problems, the request middleware, correlation, redaction: what an app installs.
    "error_handling.install": (*GRAPHQL_AND_SQL, "redis"),
    # The rate limiter's library (not its demo, which resolves Redis and PostgreSQL for you).
    "rate_limiter": GRAPHQL_AND_SQL,
    "rate_limiter.http": GRAPHQL_AND_SQL,
    "rate_limiter.redis_token_bucket": GRAPHQL_AND_SQL,
}

PROBE = "import importlib, json, sys; importlib.import_module(sys.argv[1]); print(json.dumps(sorted(sys.modules)))"


def loaded_by(module: str) -> set[str]:
    """The top-level packages in `sys.modules` after importing `module` alone."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    return {name.split(".")[0] for name in json.loads(result.stdout)}


@pytest.mark.parametrize(("module", "forbidden"), sorted(LIGHT.items()), ids=sorted(LIGHT))
def test_importing_a_base_module_loads_none_of_the_frameworks_it_does_not_need(
    module: str, forbidden: tuple[str, ...]
) -> None:
    assert sorted(loaded_by(module) & set(forbidden)) == []


def test_the_public_names_of_error_handling_still_import() -> None:
    # The lazy package must keep `from error_handling import X` working for every caller.
    import error_handling

    assert sorted(error_handling.__all__) == sorted(error_handling._HOMES)
    for name in error_handling.__all__:
        assert getattr(error_handling, name) is not None, name
