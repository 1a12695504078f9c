"""Sibling fields resolve concurrently; the request's one AsyncSession must survive that."""

import asyncio

import httpx
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rest_vs_graphql.graphql_context import RequestDatabase
from rest_vs_graphql.models import Message
from rest_vs_graphql.seed import SeedReport

MANY_TOP_LEVEL_FIELDS = """
query Many($a: String!, $b: String!) {
  first: account(sid: $a) { friendlyName messages(first: 5) { edges { node { sid phoneNumber { sid } } } } }
  second: account(sid: $b) { conversations(first: 5) { edges { node { participants { address } } } } }
  third: account(sid: $a) { phoneNumbers { phoneNumber } conversations(first: 3) { edges { cursor } } }
  fourth: account(sid: $b) { messages(first: 7) { edges { node { account { sid } } } } }
}"""


async def test_concurrent_top_level_fields_share_one_session_without_errors(
    client: httpx.AsyncClient, seeded: SeedReport
) -> None:
    # Rule: four root fields, each running queries at once, all come back whole.
    a, b = seeded.account_sids

    response = await client.post(
        "/graphql", json={"query": MANY_TOP_LEVEL_FIELDS, "variables": {"a": a, "b": b}}
    )

    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body
    assert len(body["data"]["first"]["messages"]["edges"]) == 5
    assert len(body["data"]["second"]["conversations"]["edges"]) == 5
    assert len(body["data"]["third"]["phoneNumbers"]) == 4
    assert {e["node"]["account"]["sid"] for e in body["data"]["fourth"]["messages"]["edges"]} == {b}


async def test_a_bare_async_session_refuses_concurrent_use(
    engine: AsyncEngine, seeded: SeedReport
) -> None:
    # Rule: what the lock prevents — two coroutines on one AsyncSession at once is an error.
    async with AsyncSession(engine) as session:
        outcomes = await asyncio.gather(
            *(session.scalars(select(Message).limit(5)) for _ in range(4)),
            return_exceptions=True,
        )

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert failures, "a second coroutine was let onto the busy session"
    assert all(isinstance(f, InvalidRequestError) for f in failures)
    assert "concurrent operations are not permitted" in str(failures[0])


async def test_the_request_database_takes_turns_on_its_session(
    engine: AsyncEngine, seeded: SeedReport
) -> None:
    # Rule: the same concurrent calls through RequestDatabase all succeed.
    async with AsyncSession(engine) as session:
        db = RequestDatabase(session)

        results = await asyncio.gather(
            *(db.run(lambda s: s.scalars(select(Message).limit(5))) for _ in range(4))
        )

        assert [len(result.all()) for result in results] == [5, 5, 5, 5]
