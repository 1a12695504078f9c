"""N+1 made visible: SQL statements per list request, counted at the driver, for each resolver path."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from rest_vs_graphql import screens
from rest_vs_graphql.statements import counting_statements


@pytest.mark.parametrize("page_size", [10, 50])
async def test_the_dataloader_path_costs_three_statements_whatever_the_page_size(
    client: httpx.AsyncClient, engine: AsyncEngine, account_sid: str, page_size: int
) -> None:
    # Rule: messages + one batch of numbers + one batch of accounts, for 10 or 50 rows; the
    # account itself is never read, as the inbox asks it for its messages only.
    with counting_statements(engine) as counter:
        fetch = await screens.inbox_by_graphql(client, "/graphql", account_sid, page_size)

    assert len(fetch.facts) == page_size
    assert counter.count == 3
    assert sum(" IN (" in s for s in counter.statements) == 2


@pytest.mark.parametrize(
    ("columns", "statements"), [("", 1), ("friendlyName", 2)], ids=["pages only", "and a column"]
)
async def test_the_list_query_reads_the_account_only_when_it_asks_for_a_column(
    client: httpx.AsyncClient, engine: AsyncEngine, account_sid: str, columns: str, statements: int
) -> None:
    # Rule: a page proves its account exists, so the list screen costs REST's one statement.
    query = screens.LIST_QUERY.replace(
        "account(sid: $account) {", f"account(sid: $account) {{ {columns}"
    )
    variables = {"account": account_sid, "first": 10}
    with counting_statements(engine) as counter:
        response = await client.post("/graphql", json={"query": query, "variables": variables})

    assert len(response.json()["data"]["account"]["messages"]["edges"]) == 10
    assert counter.count == statements


@pytest.mark.parametrize("page_size", [10, 50])
async def test_the_naive_path_costs_two_statements_more_per_row(
    client: httpx.AsyncClient, engine: AsyncEngine, account_sid: str, page_size: int
) -> None:
    # Rule: resolving each message's number and account on its own is 1 + 2N statements (N+1, twice).
    with counting_statements(engine) as counter:
        fetch = await screens.inbox_by_graphql(client, "/graphql-naive", account_sid, page_size)

    assert len(fetch.facts) == page_size
    assert counter.count == 1 + 2 * page_size


@pytest.mark.parametrize("page_size", [10, 50])
async def test_a_rest_list_request_is_one_statement(
    client: httpx.AsyncClient, engine: AsyncEngine, account_sid: str, page_size: int
) -> None:
    # Rule: the REST list endpoint answers from one keyset query (no COUNT, no relation loads).
    with counting_statements(engine) as counter:
        response = await client.get(
            f"/2010-04-01/Accounts/{account_sid}/Messages.json", params={"PageSize": page_size}
        )

    assert response.status_code == 200
    assert len(response.json()["messages"]) == page_size
    assert counter.count == 1


async def test_the_dashboard_needs_four_statements_with_loaders_and_one_per_conversation_without(
    client: httpx.AsyncClient, engine: AsyncEngine, account_sid: str
) -> None:
    # Rule: participants of ten conversations arrive in one batched statement, not ten.
    with counting_statements(engine) as counter:
        await screens.dashboard_by_graphql(client, "/graphql", account_sid, 10)
    batched = counter.count
    with counting_statements(engine) as counter:
        await screens.dashboard_by_graphql(client, "/graphql-naive", account_sid, 10)

    assert batched == 4  # account, messages, conversations, participants
    assert counter.count == 3 + 10
