"""REST reads carry an ETag and Cache-Control; a matching If-None-Match gets 304 with no body."""

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rest_vs_graphql.conditional_get import matches


async def first_message_url(client: httpx.AsyncClient, account_sid: str) -> str:
    page = await client.get(f"/2010-04-01/Accounts/{account_sid}/Messages.json?PageSize=1")
    return str(page.json()["messages"][0]["uri"])


async def test_a_matching_etag_gets_304_with_no_body(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: revalidating an unchanged resource costs headers only.
    url = await first_message_url(client, account_sid)
    first = await client.get(url)

    second = await client.get(url, headers={"If-None-Match": first.headers["etag"]})

    assert first.status_code == 200 and first.content
    assert first.headers["cache-control"] == "private, no-cache"
    assert second.status_code == 304
    assert second.content == b""
    assert second.headers["etag"] == first.headers["etag"]


async def test_a_status_change_gives_a_new_etag_and_a_full_response(
    client: httpx.AsyncClient, engine: AsyncEngine, account_sid: str
) -> None:
    # Rule: when the worker moves a message along, the old ETag no longer matches.
    url = await first_message_url(client, account_sid)
    before = await client.get(url)
    sid = before.json()["sid"]
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE messages SET status = 'failed', updated_at = now() WHERE sid = :sid"),
            {"sid": sid},
        )

    after = await client.get(url, headers={"If-None-Match": before.headers["etag"]})

    assert after.status_code == 200
    assert after.json()["status"] == "failed"
    assert after.headers["etag"] != before.headers["etag"]


async def test_a_list_page_revalidates_too(client: httpx.AsyncClient, account_sid: str) -> None:
    # Rule: list pages are representations like any other; a new message changes the first page.
    url = f"/2010-04-01/Accounts/{account_sid}/Messages.json?PageSize=5"
    page = await client.get(url)
    unchanged = await client.get(url, headers={"If-None-Match": page.headers["etag"]})
    number = (await client.get(page.json()["messages"][0]["phone_number_uri"])).json()
    await client.post(
        f"/2010-04-01/Accounts/{account_sid}/Messages.json",
        data={"To": "+16285550100", "From": number["phone_number"], "Body": "new"},
    )

    changed = await client.get(url, headers={"If-None-Match": page.headers["etag"]})

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed.json()["messages"][0]["body"] == "new"


def test_if_none_match_uses_weak_comparison_lists_and_star() -> None:
    # Rule: RFC 9110 — W/ prefixes are ignored for If-None-Match, lists are searched, * matches all.
    tag = '"abc"'

    assert matches('W/"abc"', tag)
    assert matches('"x", "abc"', tag)
    assert matches("*", tag)
    assert not matches('"abd"', tag)
    assert not matches(None, tag)


async def test_graphql_post_responses_carry_no_etag(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: the trade-off, tested — a POSTed query gives HTTP caches nothing to revalidate.
    response = await client.post(
        "/graphql", json={"query": f'{{ account(sid: "{account_sid}") {{ friendlyName }} }}'}
    )

    assert response.status_code == 200
    assert "etag" not in response.headers
