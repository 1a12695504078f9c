"""What does each twin cost a client for the same screen? Three screens, fetched both ways.

Each fetch returns the screen's facts (the same shape for both twins) and every HTTP exchange it made.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx

from rest_vs_graphql.persisted import document_id
from rest_vs_graphql.rest_api import API

GRAPHQL_ACCEPT = {"accept": "application/graphql-response+json"}


@dataclass(frozen=True)
class Exchange:
    """One HTTP round trip: what it fetched and what crossed the wire."""

    url: str
    status: int
    body: bytes
    etag: str | None
    wave: int  # round trips in the same wave can go in parallel; waves follow one another

    @property
    def gzip_bytes(self) -> int:
        return len(gzip.compress(self.body)) if self.body else 0


@dataclass
class Fetch:
    facts: Any = None
    exchanges: list[Exchange] = field(default_factory=list)

    async def get_json(self, client: httpx.AsyncClient, url: str, wave: int) -> Any:
        response = await client.get(url)
        response.raise_for_status()
        self.exchanges.append(
            Exchange(
                url, response.status_code, response.content, response.headers.get("etag"), wave
            )
        )
        return response.json()

    async def ask_graphql(
        self,
        client: httpx.AsyncClient,
        path: str,
        query: str,
        variables: dict[str, Any],
        *,
        persisted: bool = False,
    ) -> Any:
        """POST the query's text, or (persisted) GET its allow-listed id with the variables."""
        if persisted:
            url = f"{path}/{document_id(query)}?variables={quote(json.dumps(variables))}"
            response = await client.get(url, headers=GRAPHQL_ACCEPT)
        else:
            url = path
            response = await client.post(
                path, json={"query": query, "variables": variables}, headers=GRAPHQL_ACCEPT
            )
        response.raise_for_status()
        self.exchanges.append(
            Exchange(url, response.status_code, response.content, response.headers.get("etag"), 1)
        )
        payload = response.json()
        if payload.get("errors"):
            raise RuntimeError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]


MESSAGE_FIELDS = (
    "sid",
    "from",
    "to",
    "body",
    "status",
    "direction",
    "price",
    "date_created",
    "date_updated",
)


@cache  # a handful of field names; converting each per row was ~5 % of a timed REST list
def _snake_key(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _snake_case(node: dict[str, Any]) -> dict[str, Any]:
    """GraphQL's camelCase field names as REST's snake_case, so the facts compare directly."""
    return {_snake_key(k): v for k, v in node.items()}


# Screen 1: one message.

MESSAGE_QUERY = """
query Message($account: String!, $sid: String!) {
  message(accountSid: $account, sid: $sid) {
    sid from to body status direction price dateCreated dateUpdated
  }
}"""


async def message_by_rest(client: httpx.AsyncClient, account: str, sid: str) -> Fetch:
    fetch = Fetch()
    m = await fetch.get_json(client, f"{API}/Accounts/{account}/Messages/{sid}.json", wave=1)
    fetch.facts = {key: m[key] for key in MESSAGE_FIELDS}
    return fetch


async def message_by_graphql(
    client: httpx.AsyncClient, path: str, account: str, sid: str, *, persisted: bool = False
) -> Fetch:
    fetch = Fetch()
    variables = {"account": account, "sid": sid}
    data = await fetch.ask_graphql(client, path, MESSAGE_QUERY, variables, persisted=persisted)
    fetch.facts = _snake_case(data["message"])
    return fetch


# Screen 2: a plain list — 50 messages, their own fields only: one REST request, one query.

LIST_QUERY = """
query List($account: String!, $first: Int!) {
  account(sid: $account) {
    messages(first: $first) {
      edges { node { sid from to body status direction price dateCreated dateUpdated } }
    }
  }
}"""


async def list_by_rest(client: httpx.AsyncClient, account: str, size: int) -> Fetch:
    fetch = Fetch()
    url = f"{API}/Accounts/{account}/Messages.json?PageSize={size}"
    page = await fetch.get_json(client, url, wave=1)
    fetch.facts = [{key: m[key] for key in MESSAGE_FIELDS} for m in page["messages"]]
    return fetch


async def list_by_graphql(
    client: httpx.AsyncClient, path: str, account: str, size: int, *, persisted: bool = False
) -> Fetch:
    fetch = Fetch()
    variables = {"account": account, "first": size}
    data = await fetch.ask_graphql(client, path, LIST_QUERY, variables, persisted=persisted)
    fetch.facts = [_snake_case(edge["node"]) for edge in data["account"]["messages"]["edges"]]
    return fetch


# Screen 3: the inbox — a page of messages, each with its number's name and its account's name.

INBOX_QUERY = """
query Inbox($account: String!, $first: Int!) {
  account(sid: $account) {
    messages(first: $first) {
      edges { node {
        sid body status dateCreated
        phoneNumber { phoneNumber friendlyName }
        account { friendlyName }
      } }
    }
  }
}"""


async def inbox_by_rest(client: httpx.AsyncClient, account: str, size: int) -> Fetch:
    """A careful REST client: one list call, then each distinct related resource once, in parallel."""
    fetch = Fetch()
    base = f"{API}/Accounts/{account}"
    page = await fetch.get_json(client, f"{base}/Messages.json?PageSize={size}", wave=1)
    number_sids = sorted({m["phone_number_sid"] for m in page["messages"]})
    account_sids = sorted({m["account_sid"] for m in page["messages"]})
    numbers, accounts = await asyncio.gather(
        asyncio.gather(
            *(
                fetch.get_json(client, f"{base}/IncomingPhoneNumbers/{sid}.json", wave=2)
                for sid in number_sids
            )
        ),
        asyncio.gather(
            *(fetch.get_json(client, f"{API}/Accounts/{sid}.json", wave=2) for sid in account_sids)
        ),
    )
    number_of = {n["sid"]: n for n in numbers}
    account_name = {a["sid"]: a["friendly_name"] for a in accounts}
    fetch.facts = [
        {
            "sid": m["sid"],
            "body": m["body"],
            "status": m["status"],
            "date_created": m["date_created"],
            "number": number_of[m["phone_number_sid"]]["phone_number"],
            "number_name": number_of[m["phone_number_sid"]]["friendly_name"],
            "account_name": account_name[m["account_sid"]],
        }
        for m in page["messages"]
    ]
    return fetch


async def inbox_by_graphql(
    client: httpx.AsyncClient, path: str, account: str, size: int, *, persisted: bool = False
) -> Fetch:
    fetch = Fetch()
    variables = {"account": account, "first": size}
    data = await fetch.ask_graphql(client, path, INBOX_QUERY, variables, persisted=persisted)
    fetch.facts = [
        {
            "sid": m["sid"],
            "body": m["body"],
            "status": m["status"],
            "date_created": m["dateCreated"],
            "number": m["phoneNumber"]["phoneNumber"],
            "number_name": m["phoneNumber"]["friendlyName"],
            "account_name": m["account"]["friendlyName"],
        }
        for m in (edge["node"] for edge in data["account"]["messages"]["edges"])
    ]
    return fetch


# Screen 4: the dashboard — the account, its recent messages, its conversations and who is in them.

DASHBOARD_QUERY = """
query Dashboard($account: String!, $recent: Int!) {
  account(sid: $account) {
    friendlyName
    messages(first: $recent) { edges { node { sid body status dateCreated } } }
    conversations(first: $recent) {
      edges { node { sid friendlyName participants { address } } }
    }
  }
}"""


async def dashboard_by_rest(client: httpx.AsyncClient, account: str, recent: int) -> Fetch:
    fetch = Fetch()
    base = f"{API}/Accounts/{account}"
    acct, messages, conversations = await asyncio.gather(
        fetch.get_json(client, f"{base}.json", wave=1),
        fetch.get_json(client, f"{base}/Messages.json?PageSize={recent}", wave=1),
        fetch.get_json(client, f"{base}/Conversations.json?PageSize={recent}", wave=1),
    )
    participant_lists = await asyncio.gather(
        *(
            fetch.get_json(client, c["links"]["participants"], wave=2)
            for c in conversations["conversations"]
        )
    )
    fetch.facts = {
        "account_name": acct["friendly_name"],
        "messages": [
            {k: m[k] for k in ("sid", "body", "status", "date_created")}
            for m in messages["messages"]
        ],
        "conversations": [
            {
                "sid": c["sid"],
                "friendly_name": c["friendly_name"],
                "participants": [p["address"] for p in plist["participants"]],
            }
            for c, plist in zip(conversations["conversations"], participant_lists, strict=True)
        ],
    }
    return fetch


async def dashboard_by_graphql(
    client: httpx.AsyncClient, path: str, account: str, recent: int, *, persisted: bool = False
) -> Fetch:
    fetch = Fetch()
    variables = {"account": account, "recent": recent}
    answer = await fetch.ask_graphql(client, path, DASHBOARD_QUERY, variables, persisted=persisted)
    data = answer["account"]
    fetch.facts = {
        "account_name": data["friendlyName"],
        "messages": [
            {
                "sid": m["sid"],
                "body": m["body"],
                "status": m["status"],
                "date_created": m["dateCreated"],
            }
            for m in (edge["node"] for edge in data["messages"]["edges"])
        ],
        "conversations": [
            {
                "sid": c["sid"],
                "friendly_name": c["friendlyName"],
                "participants": [p["address"] for p in c["participants"]],
            }
            for c in (edge["node"] for edge in data["conversations"]["edges"])
        ],
    }
    return fetch


# The first-party client's operations: the server's allow-list of persisted documents.
PERSISTED_QUERIES = (MESSAGE_QUERY, LIST_QUERY, INBOX_QUERY, DASHBOARD_QUERY)
