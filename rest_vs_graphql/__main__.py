"""`python -m rest_vs_graphql`: the same screens fetched through REST and GraphQL, step by step.

Flags as for `python -m rest_vs_graphql.compare` (e.g. `--messages 100000 --runs 100`).
"""

from __future__ import annotations

import argparse

from rest_vs_graphql.compare import (
    DASHBOARD,
    INBOX,
    LIST,
    LOADER,
    NAIVE,
    ONE,
    PERSISTED,
    REST,
    Row,
    rich_table,
    seed_and_compare,
)

WHAT_EACH_DOES = {
    (ONE, REST): "GET …/Messages/{sid}.json",
    (LIST, REST): "GET …/Messages.json?PageSize=50",
    (INBOX, REST): "GET the list, then each distinct number and the account, in parallel",
    (
        DASHBOARD,
        REST,
    ): "GET account, messages, conversations, then each conversation's participants",
}


def say(row: Row) -> None:
    default = "one GET /graphql/sha256:…" if row.api == PERSISTED else "one POST /graphql query"
    how = WHAT_EACH_DOES.get((row.screen, row.api), default)
    print(
        f"  {row.api:<19} {row.screen}: {how}\n"
        f"  {'':<19} → {row.round_trips} round trip(s) in {row.waves} wave(s), "
        f"{row.bytes:,} bytes ({row.gzip_bytes:,} gzipped), {row.statements} SQL statement(s), "
        f"p50 {row.p50_ms:.1f} ms; revalidate with 304: {row.revalidation}"
    )


def conclude(rows: list[Row]) -> None:
    by = {(r.screen, r.api): r for r in rows}
    dash_rest, dash_gql = by[DASHBOARD, REST], by[DASHBOARD, LOADER]
    inbox_naive, inbox_loader = by[INBOX, NAIVE], by[INBOX, LOADER]
    print("\nWhat this shows:")
    print(
        f"  1. Under-fetching: the dashboard costs REST {dash_rest.round_trips} round trips "
        f"in {dash_rest.waves} waves; GraphQL one."
    )
    print(
        f"  2. Over-fetching: GraphQL sent {dash_gql.bytes / dash_rest.bytes:.0%} of REST's bytes "
        "for the dashboard, because the client named its fields."
    )
    print(
        f"  3. N+1: resolving relations one by one cost {inbox_naive.statements} statements for the "
        f"inbox; DataLoaders batch them into {inbox_loader.statements}."
    )
    print(
        "  4. Caching: every REST read could be revalidated with a 304 and no body; "
        "a POSTed GraphQL query cannot, a persisted one sent by GET can."
    )
    list_ratio = by[LIST, LOADER].p50_ms / by[LIST, REST].p50_ms
    print(
        f"  5. Cost per request: for one plain list of 50, GraphQL's p50 was {list_ratio:.1f}× REST's "
        "(in-process, no network; every resolved field costs microseconds)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if args.messages < 100 or args.runs < 2:
        parser.error("use at least --messages 100 and --runs 2")
    print(
        f"Seeding a mini Twilio ({args.messages:,} messages, 3 accounts, numbers, conversations) "
        "into schema demo_rest_vs_graphql.\n"
        "Both APIs run in this process over ONE service layer; each screen is fetched "
        f"{args.runs} times through each.\n"
    )
    rows = seed_and_compare("demo_rest_vs_graphql", args.messages, args.runs, on_row=say)
    print()
    from rich.console import Console

    Console(width=150).print(rich_table(rows))
    conclude(rows)
    print(
        "\nThe demo schema was dropped. Figures from a busy machine vary; see the README's table."
    )


if __name__ == "__main__":
    main()
