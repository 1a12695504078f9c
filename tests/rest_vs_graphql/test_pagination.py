"""Paging: following `next_page_uri` or `endCursor` visits every message once, newest first."""

import httpx

from rest_vs_graphql.seed import SeedReport

PAGE_QUERY = """
query Page($account: String!, $after: String) {
  account(sid: $account) {
    messages(first: 25, after: $after) {
      edges { cursor node { sid dateCreated } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def test_rest_pages_cover_the_account_once_in_newest_first_order(
    client: httpx.AsyncClient, seeded: SeedReport, account_sid: str
) -> None:
    # Rule: keyset pages neither skip nor repeat rows, and the last page has no next_page_uri.
    url: str | None = f"/2010-04-01/Accounts/{account_sid}/Messages.json?PageSize=25"
    seen: list[tuple[str, str]] = []
    while url:
        page = (await client.get(url)).json()
        seen += [(m["date_created"], m["sid"]) for m in page["messages"]]
        url = page["next_page_uri"]

    assert len(seen) == seeded.messages // len(seeded.account_sids)
    assert len(set(seen)) == len(seen)
    assert seen == sorted(seen, reverse=True)


async def test_graphql_cursors_walk_the_same_sequence_as_rest_pages(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: both twins page through one service, so they list the same SIDs in the same order.
    rest_url: str | None = f"/2010-04-01/Accounts/{account_sid}/Messages.json?PageSize=25"
    rest_sids: list[str] = []
    while rest_url:
        page = (await client.get(rest_url)).json()
        rest_sids += [m["sid"] for m in page["messages"]]
        rest_url = page["next_page_uri"]
    graphql_sids: list[str] = []
    after = None
    while True:
        response = await client.post(
            "/graphql",
            json={"query": PAGE_QUERY, "variables": {"account": account_sid, "after": after}},
        )
        connection = response.json()["data"]["account"]["messages"]
        graphql_sids += [edge["node"]["sid"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    assert graphql_sids == rest_sids


async def test_each_edge_cursor_resumes_right_after_its_node(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: Relay cursors are per edge — resuming from the 3rd edge starts at the 4th node.
    first = await client.post(
        "/graphql", json={"query": PAGE_QUERY, "variables": {"account": account_sid}}
    )
    edges = first.json()["data"]["account"]["messages"]["edges"]

    resumed = await client.post(
        "/graphql",
        json={
            "query": PAGE_QUERY,
            "variables": {"account": account_sid, "after": edges[2]["cursor"]},
        },
    )

    assert resumed.json()["data"]["account"]["messages"]["edges"][0]["node"] == edges[3]["node"]
