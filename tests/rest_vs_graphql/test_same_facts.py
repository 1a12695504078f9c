"""Both twins serve the same facts for the same screen, field by field."""

import httpx

from rest_vs_graphql import screens
from rest_vs_graphql.seed import SeedReport


async def test_one_message_has_the_same_fields_in_rest_and_graphql(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: a single resource read through either twin carries identical values.
    inbox = await screens.inbox_by_rest(client, account_sid, 1)
    sid = inbox.facts[0]["sid"]

    rest = await screens.message_by_rest(client, account_sid, sid)
    graphql = await screens.message_by_graphql(client, "/graphql", account_sid, sid)

    assert rest.facts == graphql.facts
    assert rest.facts["sid"] == sid and rest.facts["date_created"].endswith("+00:00")


async def test_the_inbox_of_50_messages_matches_field_by_field(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: the REST fan-out (list, then numbers and account) and one GraphQL query agree on every field.
    rest = await screens.inbox_by_rest(client, account_sid, 50)
    batched = await screens.inbox_by_graphql(client, "/graphql", account_sid, 50)
    naive = await screens.inbox_by_graphql(client, "/graphql-naive", account_sid, 50)

    assert len(rest.facts) == 50
    for rest_row, graphql_row, naive_row in zip(
        rest.facts, batched.facts, naive.facts, strict=True
    ):
        assert rest_row == graphql_row == naive_row
    assert {row["account_name"] for row in rest.facts} == {"Account 0"}


async def test_the_dashboard_matches_and_costs_rest_more_round_trips(
    client: httpx.AsyncClient, seeded: SeedReport
) -> None:
    # Rule: the dashboard's facts agree; REST needs 3 + one call per conversation, GraphQL one.
    account = seeded.account_sids[1]

    rest = await screens.dashboard_by_rest(client, account, 10)
    graphql = await screens.dashboard_by_graphql(client, "/graphql", account, 10)

    assert rest.facts == graphql.facts
    assert rest.facts["account_name"] == "Account 1"
    assert len(rest.exchanges) == 3 + 10
    assert len(graphql.exchanges) == 1
    assert all(len(c["participants"]) >= 2 for c in rest.facts["conversations"])


async def test_a_plain_list_of_50_is_the_same_in_both_twins(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: the 50-message list used for the latency comparison carries identical values.
    rest = await screens.list_by_rest(client, account_sid, 50)
    graphql = await screens.list_by_graphql(client, "/graphql", account_sid, 50)

    assert len(rest.facts) == 50
    assert rest.facts == graphql.facts
    assert set(rest.facts[0]) == set(screens.MESSAGE_FIELDS)
