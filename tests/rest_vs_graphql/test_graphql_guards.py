"""Abusive GraphQL documents are refused before execution, and introspection is off in production."""

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from rest_vs_graphql.seed import SeedReport
from rest_vs_graphql.settings import TwinSettings
from rest_vs_graphql.twins import create_twins_app

ACCEPT = {"accept": "application/graphql-response+json"}
INTROSPECTION = "{ __schema { queryType { name } } }"


async def ask(client: httpx.AsyncClient, query: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers=ACCEPT)


def nested(depth: int) -> str:
    """account → messages → edges → node → account → messages → … as deep as asked."""
    inner = "sid"
    for _ in range(depth):
        inner = f"messages(first: 1) {{ edges {{ node {{ account {{ {inner} }} }} }} }}"
    return f'{{ account(sid: "AC0") {{ {inner} }} }}'


async def test_a_query_deeper_than_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    # Rule: QueryDepthLimiter refuses cyclic nesting before any resolver runs (400, no data).
    response = await ask(client, nested(3))

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert [e["message"] for e in body["errors"]] == [
        "'anonymous' exceeds maximum operation depth of 6"
    ]


async def test_too_many_aliases_are_refused(client: httpx.AsyncClient) -> None:
    # Rule: MaxAliasesLimiter caps the fan-out one document can ask for by aliasing a field.
    aliases = " ".join(f'a{n}: account(sid: "AC{n}") {{ sid }}' for n in range(16))

    response = await ask(client, f"{{ {aliases} }}")

    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages == ["16 aliases found. Allowed: 15"]


async def test_a_document_with_too_many_tokens_is_refused(client: httpx.AsyncClient) -> None:
    # Rule: MaxTokensLimiter stops the parser itself, so a huge document costs little.
    fields = " ".join(["sid"] * 1200)

    response = await ask(client, f'{{ account(sid: "AC0") {{ {fields} }} }}')

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 1000 tokens. Parsing aborted."
    )


async def test_introspection_is_refused_in_production(client: httpx.AsyncClient) -> None:
    # Rule: a production schema does not describe itself to strangers.
    response = await ask(client, INTROSPECTION)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field '__schema'."
    )


async def test_introspection_answers_in_development(
    engine: AsyncEngine, seeded: SeedReport
) -> None:
    # Rule: developers get introspection (and GraphiQL) when the environment says development.
    app: FastAPI = create_twins_app(engine, TwinSettings(environment="development"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twins.test") as client:
        response = await ask(client, INTROSPECTION)
        ide = await client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()


async def test_graphiql_is_not_served_in_production(client: httpx.AsyncClient) -> None:
    # Rule: no IDE page in production; a GET is not a way to run queries here either.
    response = await client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Not Found"
