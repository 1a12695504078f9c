"""Creating a message runs the caller's hook inside the same transaction (the outbox's seam)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from error_handling.problems import PROBLEM_JSON, Conflict, install_problem_handlers
from rest_vs_graphql import screens
from rest_vs_graphql.graphql_http import create_graphql_router
from rest_vs_graphql.models import Message
from rest_vs_graphql.rest_api import create_rest_router

CREATE = """mutation($input: CreateMessageInput!) {
  createMessage(input: $input) { sid status }
}"""


def twins_with_hook(engine: AsyncEngine, hook: object) -> FastAPI:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_rest_router(sessions, on_queued=hook))  # type: ignore[arg-type]
    app.include_router(create_graphql_router(sessions, on_queued=hook), prefix="/graphql")  # type: ignore[arg-type]
    return app


async def count_messages(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)


async def test_the_hook_sees_the_new_message_and_its_status_callback(
    engine: AsyncEngine, client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: the hook gets the flushed row, StatusCallback included, before the commit.
    seen: list[tuple[str, str | None]] = []

    async def hook(session: AsyncSession, message: Message) -> None:
        seen.append((message.sid, message.status_callback))

    sender = (await screens.inbox_by_rest(client, account_sid, 1)).facts[0]["number"]
    app = twins_with_hook(engine, hook)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://twins.test"
    ) as hooked:
        response = await hooked.post(
            f"/2010-04-01/Accounts/{account_sid}/Messages.json",
            data={
                "To": "+16285550123",
                "From": sender,
                "Body": "hi",
                "StatusCallback": "https://example.com/status",
            },
        )

    assert response.status_code == 201
    assert seen == [(response.json()["sid"], "https://example.com/status")]


async def test_a_failing_hook_rolls_the_message_back_for_rest_and_graphql(
    engine: AsyncEngine, client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: no message without its event: if the hook fails, the message is not created either.
    async def refuse(session: AsyncSession, message: Message) -> None:
        raise Conflict("the outbox refused this message")

    sender = (await screens.inbox_by_rest(client, account_sid, 1)).facts[0]["number"]
    before = await count_messages(engine)
    app = twins_with_hook(engine, refuse)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://twins.test"
    ) as hooked:
        rest = await hooked.post(
            f"/2010-04-01/Accounts/{account_sid}/Messages.json",
            data={"To": "+16285550123", "From": sender, "Body": "hi"},
        )
        graphql = await hooked.post(
            "/graphql",
            json={
                "query": CREATE,
                "variables": {
                    "input": {
                        "accountSid": account_sid,
                        "from": sender,
                        "to": "+16285550199",
                        "body": "x",
                    }
                },
            },
        )

    assert rest.status_code == 409
    assert rest.headers["content-type"] == PROBLEM_JSON
    assert rest.json()["detail"] == "the outbox refused this message"
    assert graphql.json()["errors"][0]["message"] == "the outbox refused this message"
    assert await count_messages(engine) == before


async def test_a_status_callback_that_is_not_http_is_a_422_naming_the_field(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: StatusCallback must be an http(s) URL; anything else is refused before any write.
    sender = (await screens.inbox_by_rest(client, account_sid, 1)).facts[0]["number"]

    response = await client.post(
        f"/2010-04-01/Accounts/{account_sid}/Messages.json",
        data={"To": "+16285550123", "From": sender, "Body": "hi", "StatusCallback": "ftp://x/y"},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "StatusCallback", "message": "must be an http:// or https:// URL"}
    ]
