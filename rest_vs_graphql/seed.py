"""How is a realistic data set made quickly? Generate rows in Python, stream them with COPY.

`python -m rest_vs_graphql.seed --messages 100000` fills the schema `demo_rest_vs_graphql`.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from sqlalchemy import create_engine

from backing_services import sqlalchemy_sync_url
from backing_services.urls import libpq_url
from rest_vs_graphql.models import Base

# A fixed start keeps every run's data, and so every measurement, the same.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("delivered",) * 16 + ("sent", "sent", "failed", "queued")
WORDS = tuple(
    [
        "your",
        "code",
        "is",
        "ready",
        "meeting",
        "moved",
        "to",
        "three",
        "pm",
        "thanks",
        "see",
        "you",
        "soon",
        "order",
        "shipped",
    ]
)


@dataclass(frozen=True)
class SeedSize:
    accounts: int = 3
    numbers_per_account: int = 5
    messages: int = 300
    conversations_per_account: int = 20


@dataclass(frozen=True)
class SeedReport:
    account_sids: list[str]
    messages: int
    seconds: float


def create_tables(database_url: str) -> None:
    engine = create_engine(sqlalchemy_sync_url(database_url))
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def seed(database_url: str, size: SeedSize = SeedSize(), *, rng_seed: int = 13) -> SeedReport:
    """Create the tables in the URL's schema and fill them; the same seed gives the same rows."""
    started = time.perf_counter()
    create_tables(database_url)
    rng = random.Random(rng_seed)

    def sid(prefix: str) -> str:
        return f"{prefix}{rng.getrandbits(128):032x}"

    accounts = [(sid("AC"), f"Account {n}", EPOCH) for n in range(size.accounts)]
    numbers = [
        (sid("PN"), account[0], f"+1415555{len(accounts) * 100 + n:04d}", f"Line {n}", EPOCH)
        for n, account in enumerate(a for a in accounts for _ in range(size.numbers_per_account))
    ]
    numbers_of = {a[0]: [n for n in numbers if n[1] == a[0]] for a in accounts}
    conversations = [
        (sid("CH"), a[0], f"Support thread {n}", EPOCH + timedelta(hours=n))
        for a in accounts
        for n in range(size.conversations_per_account)
    ]
    participants = [
        (sid("MB"), c[0], f"+1628555{rng.randrange(10_000):04d}", c[3])
        for c in conversations
        for _ in range(rng.randint(2, 4))
    ]
    with psycopg.connect(libpq_url(database_url)) as connection:
        _copy(connection, "accounts", ("sid", "friendly_name", "created_at"), accounts)
        number_columns = ("sid", "account_sid", "phone_number", "friendly_name", "created_at")
        _copy(connection, "phone_numbers", number_columns, numbers)
        conversation_columns = ("sid", "account_sid", "friendly_name", "created_at")
        _copy(connection, "conversations", conversation_columns, conversations)
        participant_columns = ("sid", "conversation_sid", "address", "created_at")
        _copy(connection, "participants", participant_columns, participants)
        _copy(
            connection,
            "messages",
            MESSAGE_COLUMNS,
            _messages(rng, size.messages, [a[0] for a in accounts], numbers_of),
        )
    return SeedReport(
        account_sids=[a[0] for a in accounts],
        messages=size.messages,
        seconds=time.perf_counter() - started,
    )


MESSAGE_COLUMNS = (
    "sid",
    "account_sid",
    "phone_number_sid",
    "from_number",
    "to_number",
    "body",
    "status",
    "direction",
    "price",
    "created_at",
    "updated_at",
)


def _messages(
    rng: random.Random,
    count: int,
    account_sids: Sequence[str],
    numbers_of: dict[str, list[tuple[Any, ...]]],
) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        account_sid = account_sids[n % len(account_sids)]
        number = rng.choice(numbers_of[account_sid])
        other = f"+1628555{rng.randrange(10_000):04d}"
        inbound = rng.random() < 0.2
        status = "received" if inbound else rng.choice(STATUSES)
        created = EPOCH + timedelta(seconds=30 * n)
        price = None if status == "queued" else Decimal(-rng.randrange(500, 900)) / 100_000
        yield (
            f"SM{rng.getrandbits(128):032x}",
            account_sid,
            number[0],
            other if inbound else number[2],
            number[2] if inbound else other,
            " ".join(rng.choices(WORDS, k=rng.randint(3, 12))),
            status,
            "inbound" if inbound else "outbound-api",
            price,
            created,
            created + timedelta(seconds=rng.randint(1, 20)),
        )


def _copy(
    connection: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]],
) -> None:
    # COPY streams rows in one statement: 100k messages load in about a second.
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def main(argv: Sequence[str] | None = None) -> None:
    from backing_services.resolve import services_for_demo
    from backing_services.schemas import recreate_schema

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=SeedSize.messages)
    parser.add_argument("--schema", default="demo_rest_vs_graphql")
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be at least 1")
    with services_for_demo() as services:
        url = recreate_schema(services.database_url, args.schema)
        report = seed(url, SeedSize(messages=args.messages))
    print(
        f"seeded schema {args.schema}: {len(report.account_sids)} accounts, "
        f"{report.messages} messages in {report.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
