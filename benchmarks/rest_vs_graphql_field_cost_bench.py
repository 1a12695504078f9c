"""Where does a GraphQL request's time go? Per-field cost, the twin's overhead, and a profile.

Run: `python -m benchmarks.rest_vs_graphql_field_cost_bench [--runs 300]`; writes
`benchmarks/results/rest_vs_graphql_field_cost.json`. Everything runs in-process, one variant at a
time in rotation (so a busy machine slows them alike), on 50 messages × 9 fields.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import strawberry
from fastapi import FastAPI, Request, Response
from graphql import build_schema as schema_from_sdl
from graphql import execute_sync, parse
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import Info

from backing_services import sqlalchemy_async_url
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import add_quick, machine, write_results
from rest_vs_graphql import models, service
from rest_vs_graphql.conditional_get import json_with_etag
from rest_vs_graphql.graphql_context import RequestDatabase, TwinContext
from rest_vs_graphql.graphql_http import build_schema
from rest_vs_graphql.persisted import document_id
from rest_vs_graphql.plain_leaves import PlainLeafExecutor, mark_plain_leaves
from rest_vs_graphql.rest_api import message_json
from rest_vs_graphql.screens import LIST_QUERY
from rest_vs_graphql.seed import SeedSize, seed
from rest_vs_graphql.settings import TwinSettings
from rest_vs_graphql.twins import create_twins_app

SCHEMA = "bench_rest_vs_graphql"
REST_HTTP = "REST over HTTP (in-process), DB"
POST_HTTP = "GraphQL twin over HTTP (in-process), DB"
PERSISTED_HTTP = "GraphQL twin, persisted GET (in-process), DB"
TWIN_EXECUTE = "GraphQL twin, schema.execute, DB"
TWIN_STOCK = "GraphQL twin, schema.execute, DB, graphql-core's stock executor"
TWIN_ACCOUNT_ROW = "GraphQL twin, schema.execute, DB, the list also asking the account's name"
ALONE_HTTP = "graphql-core alone (stock executor) after REST's one statement, over HTTP"
PLAIN_MEMORY = "bare Strawberry + caches + the twin's plain-leaf executor, rows in memory"
PAGE = 50


# A bare Strawberry schema of the same shape: no guards, no loaders, no service layer, no lock;
# only ParserCache and ValidationCache, which any production schema should have.


@strawberry.type
class BareMessage:
    sid: str
    from_: str = strawberry.field(name="from")
    to: str
    body: str
    status: str
    direction: str
    price: str | None
    date_created: datetime
    date_updated: datetime


@strawberry.type
class BareEdge:
    node: BareMessage


@strawberry.type
class BareConnection:
    edges: list[BareEdge]


@strawberry.type
class BareAccount:
    sid: str
    rows: strawberry.Private[list[BareMessage] | None] = None

    @strawberry.field
    async def messages(self, info: Info[dict[str, Any], None], first: int) -> BareConnection:
        rows = self.rows
        if rows is None:  # the database variant: the same statement the service layer sends
            session: AsyncSession = info.context["session"]
            found = await session.scalars(
                select(models.Message)
                .where(models.Message.account_sid == self.sid)
                .order_by(models.Message.created_at.desc(), models.Message.sid.desc())
                .limit(first + 1)
            )
            rows = [bare(m) for m in list(found)[:first]]
        return BareConnection(edges=[BareEdge(node=m) for m in rows])


def bare(m: models.Message) -> BareMessage:
    return BareMessage(
        sid=m.sid,
        from_=m.from_number,
        to=m.to_number,
        body=m.body,
        status=m.status,
        direction=m.direction,
        price=None if m.price is None else str(m.price),
        date_created=m.created_at,
        date_updated=m.updated_at,
    )


@strawberry.type
class BareQuery:
    @strawberry.field
    async def account(self, info: Info[dict[str, Any], None], sid: str) -> BareAccount:
        if "rows" in info.context:
            return BareAccount(sid=sid, rows=info.context["rows"])
        session: AsyncSession = info.context["session"]
        found = await session.scalar(select(models.Account).where(models.Account.sid == sid))
        assert found is not None
        return BareAccount(sid=found.sid)


# graphql-core's stock executor with nothing of Strawberry's, on plain dicts (its default resolver),
# after the one statement REST sends, in a route answered like REST's: what the stack costs bare.
PLAIN_SCHEMA = schema_from_sdl("""
type Message { sid: String! from: String! to: String! body: String! status: String! direction: String!
               price: String dateCreated: String! dateUpdated: String! }
type Edge { node: Message! }
type Connection { edges: [Edge!]! }
type Account { messages(first: Int!): Connection! }
type Query { account(sid: String!): Account }
""")


def plain_node(m: models.Message) -> dict[str, Any]:
    return {
        "sid": m.sid,
        "from": m.from_number,
        "to": m.to_number,
        "body": m.body,
        "status": m.status,
        "direction": m.direction,
        "price": None if m.price is None else str(m.price),
        "dateCreated": m.created_at.isoformat(),
        "dateUpdated": m.updated_at.isoformat(),
    }


def add_graphql_core_route(app: FastAPI, sessions: async_sessionmaker[AsyncSession]) -> None:
    """`GET /graphql-core/{account}`: the list document run by graphql-core alone, after one statement."""
    document, settings = parse(LIST_QUERY), TwinSettings()

    async def graphql_core_alone(request: Request, account: str) -> Response:
        async with sessions() as session:
            page = await service.list_messages(
                session, None, account, page_size=PAGE, page_token=None, max_page_size=PAGE
            )
        edges = [{"node": plain_node(m)} for m in page.items]
        root = {"account": {"messages": {"edges": edges}}}
        variables = {"account": account, "first": PAGE}
        result = execute_sync(PLAIN_SCHEMA, document, root, variable_values=variables)
        assert not result.errors, result.errors
        return json_with_etag(request, {"data": result.data}, settings.cache_control)

    app.add_api_route("/graphql-core/{account}", graphql_core_alone, methods=["GET"])


def count_fields(value: Any) -> int:
    """Every key in a GraphQL response is one resolved field."""
    if isinstance(value, dict):
        return sum(1 + count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


Variant = Callable[[], Awaitable[Any]]


async def rotate(variants: dict[str, Variant], runs: int) -> dict[str, float]:
    """Median microseconds per call, each round calling every variant once in turn."""
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for name, variant in variants.items():
        for _ in range(10):
            await variant()
        del name
    for _ in range(runs):
        for name, variant in variants.items():
            started = time.perf_counter()
            await variant()
            timings[name].append((time.perf_counter() - started) * 1e6)
    return {name: percentile(values, 50) for name, values in timings.items()}


def where_time_goes(profile: cProfile.Profile) -> dict[str, float]:
    """Share of own (tottime) CPU time by the library the function lives in."""
    # Libraries by their site-packages path, so a checkout under a folder named `graphql` is not one.
    buckets = {
        "graphql-core execution": "site-packages/graphql/",
        "strawberry": "site-packages/strawberry/",
        "sqlalchemy": "site-packages/sqlalchemy/",
        "psycopg + socket": "site-packages/psycopg/",
        "asyncio event loop": "/asyncio/",
        "this package": "/rest_vs_graphql/",
    }
    totals = dict.fromkeys([*buckets, "other (builtins, stdlib)"], 0.0)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, tottime, _, _) in stats.items():
        bucket = next((b for b, part in buckets.items() if part in filename), None)
        totals[bucket or "other (builtins, stdlib)"] += tottime
    whole = sum(totals.values())
    return {name: round(100 * t / whole, 1) for name, t in totals.items()}


def twin_variants(sessions: async_sessionmaker[AsyncSession], account: str) -> dict[str, Variant]:
    """The list through the twin's `schema.execute`, as served, with the stock executor, and reading the account."""
    settings = TwinSettings()
    variables = {"account": account, "first": PAGE}
    # The same list, but reading one account column: the account's row must be read (2 statements).
    with_name = LIST_QUERY.replace(
        "account(sid: $account) {", "account(sid: $account) { friendlyName"
    )

    def twin_db(schema: strawberry.Schema, query: str) -> Variant:
        async def execute() -> Any:
            async with sessions() as s:
                twin = TwinContext(RequestDatabase(s), caller=None, batched=True, settings=settings)
                result = await schema.execute(query, variables, context_value=twin)
                assert not result.errors, result.errors
                return result.data

        return execute

    twin_schema = build_schema(settings)
    return {
        TWIN_EXECUTE: twin_db(twin_schema, LIST_QUERY),
        TWIN_STOCK: twin_db(build_schema(settings, plain_leaves=False), LIST_QUERY),
        TWIN_ACCOUNT_ROW: twin_db(twin_schema, with_name),
    }


async def bare_variants(
    sessions: async_sessionmaker[AsyncSession], account: str
) -> dict[str, Variant]:
    """The list through a bare schema of the same shape, from the DB and from memory, and REST's encoding."""
    bare_schema = strawberry.Schema(query=BareQuery)
    cached_bare = strawberry.Schema(query=BareQuery, extensions=[ParserCache, ValidationCache])
    plain_bare = strawberry.Schema(
        query=BareQuery,
        extensions=[ParserCache, ValidationCache],
        execution_context_class=PlainLeafExecutor,
    )
    mark_plain_leaves(plain_bare._schema)
    variables = {"account": account, "first": PAGE}
    async with sessions() as session:
        page = await session.scalars(
            select(models.Message)
            .where(models.Message.account_sid == account)
            .order_by(models.Message.created_at.desc(), models.Message.sid.desc())
            .limit(PAGE)
        )
        orm_rows = list(page)
    memory_rows = [bare(m) for m in orm_rows]

    async def bare_db() -> Any:
        async with sessions() as s:
            result = await cached_bare.execute(LIST_QUERY, variables, {"session": s})
            assert not result.errors, result.errors
            return result.data

    def in_memory(schema: strawberry.Schema) -> Variant:
        async def execute() -> Any:
            return (await schema.execute(LIST_QUERY, variables, {"rows": memory_rows})).data

        return execute

    async def rest_memory() -> Any:
        return json.dumps([message_json(m) for m in orm_rows], separators=(",", ":"))

    return {
        "bare Strawberry + caches, schema.execute, DB": bare_db,
        "bare Strawberry, rows in memory": in_memory(bare_schema),
        "bare Strawberry + caches, rows in memory": in_memory(cached_bare),
        PLAIN_MEMORY: in_memory(plain_bare),
        "REST representation + json.dumps, rows in memory": rest_memory,
    }


def http_variants(client: httpx.AsyncClient, account: str) -> dict[str, Variant]:
    """The list over HTTP, in-process: REST, the GraphQL POST, and the persisted GET."""
    variables = {"account": account, "first": PAGE}
    persisted_url = f"/graphql/{document_id(LIST_QUERY)}"

    async def rest_http() -> Any:
        url = f"/2010-04-01/Accounts/{account}/Messages.json?PageSize={PAGE}"
        return (await client.get(url)).content

    async def graphql_http() -> Any:
        body = {"query": LIST_QUERY, "variables": variables}
        return (await client.post("/graphql", json=body)).content

    async def persisted_http() -> Any:
        params = {"variables": json.dumps(variables)}
        return (await client.get(persisted_url, params=params)).content

    async def graphql_core_http() -> Any:
        return (await client.get(f"/graphql-core/{account}")).content

    return {
        REST_HTTP: rest_http,
        POST_HTTP: graphql_http,
        PERSISTED_HTTP: persisted_http,
        ALONE_HTTP: graphql_core_http,
    }


def summarise(medians: dict[str, float], fields: int, profile: cProfile.Profile) -> dict[str, Any]:
    def ratio(numerator: str, denominator: str) -> float:
        return round(medians[numerator] / medians[denominator], 2)

    cached = medians["bare Strawberry + caches, rows in memory"]
    rest_memory = medians["REST representation + json.dumps, rows in memory"]
    bare_db = "bare Strawberry + caches, schema.execute, DB"
    return {
        "fields_resolved_per_request": fields,
        "median_us": {name: round(us, 1) for name, us in medians.items()},
        "per_field_us_bare_strawberry_cached": round(cached / fields, 2),
        "per_field_us_plain_leaf_executor": round(medians[PLAIN_MEMORY] / fields, 2),
        "per_field_us_rest_representation": round(rest_memory / (PAGE * 14), 2),
        "twin_overhead_over_bare_strawberry_pct": round(
            100 * (ratio(TWIN_EXECUTE, bare_db) - 1), 1
        ),
        "graphql_over_rest_http_p50": ratio(POST_HTTP, REST_HTTP),
        "graphql_persisted_over_rest_http_p50": ratio(PERSISTED_HTTP, REST_HTTP),
        "graphql_core_alone_over_rest_http_p50": ratio(ALONE_HTTP, REST_HTTP),
        "stock_executor_over_twin_execute": ratio(TWIN_STOCK, TWIN_EXECUTE),
        "account_row_over_twin_execute": ratio(TWIN_ACCOUNT_ROW, TWIN_EXECUTE),
        "cpu_share_pct_in_twin_execute": where_time_goes(profile),
    }


async def measure(url: str, account: str, runs: int) -> dict[str, Any]:
    engine = create_async_engine(sqlalchemy_async_url(url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    in_schema = {**twin_variants(sessions, account), **await bare_variants(sessions, account)}
    app = create_twins_app(engine, TwinSettings())
    add_graphql_core_route(app, sessions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twins.local") as client:
        fields = count_fields(await in_schema[TWIN_EXECUTE]())
        medians = await rotate({**http_variants(client, account), **in_schema}, runs)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(min(runs, 200)):
        await in_schema[TWIN_EXECUTE]()
    profile.disable()
    await engine.dispose()
    return summarise(medians, fields, profile)


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-field cost of GraphQL execution, measured.")
    parser.add_argument("--runs", type=int, default=300, help="rounds of every variant (max 2000)")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.runs = 10
    if not 10 <= args.runs <= 2000:
        parser.error("--runs must be between 10 and 2000")
    with services_for_demo() as services:
        url = recreate_schema(services.database_url, SCHEMA)
        try:
            account = seed(url, SeedSize(messages=2000)).account_sids[0]
            figures = asyncio.run(measure(url, account, args.runs))
        finally:
            drop_schema(services.database_url, SCHEMA)
    figures = {
        "command": f"python -m benchmarks.rest_vs_graphql_field_cost_bench --runs {args.runs}",
        "machine": machine(transport="in-process ASGI (httpx.ASGITransport)"),
        **figures,
    }
    table = Table(
        title=f"50 messages × 9 fields ({figures['fields_resolved_per_request']} fields resolved)"
    )
    table.add_column("variant")
    table.add_column("median µs", justify="right")
    for name, us in figures["median_us"].items():
        table.add_row(name, f"{us:,.0f}")
    console = Console(width=120)
    console.print(table)
    for key in (
        "per_field_us_bare_strawberry_cached",
        "per_field_us_plain_leaf_executor",
        "per_field_us_rest_representation",
        "twin_overhead_over_bare_strawberry_pct",
        "graphql_over_rest_http_p50",
        "graphql_persisted_over_rest_http_p50",
        "graphql_core_alone_over_rest_http_p50",
        "stock_executor_over_twin_execute",
        "account_row_over_twin_execute",
        "cpu_share_pct_in_twin_execute",
    ):
        console.print(f"{key}: {figures[key]}")
    console.print(f"wrote {write_results('rest_vs_graphql_field_cost', figures, quick=args.quick)}")


if __name__ == "__main__":
    main()
