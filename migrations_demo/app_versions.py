"""The two app versions that share the database during the expand phase, as the SQL each one runs.

v1 (old code) knows only `account_sid`; v2 (new code) knows only `account_id`. The trigger bridges them.
"""

from __future__ import annotations

import random
from typing import Any, Literal

import psycopg

AppVersion = Literal["v1", "v2"]
ACCOUNTS = 100  # seed.sql numbers accounts 1..N and names them 'AC' || md5(n)

WRITE: dict[AppVersion, bytes] = {
    "v1": b"INSERT INTO messages (account_sid, to_number, from_number, body)"
    b" VALUES ('AC' || md5(%(account)s::text), '+15550000000', '+18000000000', 'hello') RETURNING id",
    "v2": b"INSERT INTO messages (account_id, to_number, from_number, body)"
    b" VALUES ((SELECT id FROM accounts WHERE sid = 'AC' || md5(%(account)s::text)),"
    b" '+15550000000', '+18000000000', 'hello') RETURNING id",
}
READ: dict[AppVersion, bytes] = {
    "v1": b"SELECT id, account_sid, body FROM messages"
    b" WHERE account_sid = 'AC' || md5(%(account)s::text) ORDER BY id DESC LIMIT 10",
    "v2": b"SELECT m.id, m.account_id, m.body FROM messages AS m"
    b" WHERE m.account_id = (SELECT id FROM accounts WHERE sid = 'AC' || md5(%(account)s::text))"
    b" ORDER BY m.id DESC LIMIT 10",
}


# Moving a message to another account (an account merge, say): each version updates its own column.
# Without `message`, one of the latest hundred messages is moved.
MOVE: dict[AppVersion, bytes] = {
    "v1": b"UPDATE messages SET account_sid = 'AC' || md5(%(account)s::text)"
    b" WHERE id = coalesce(%(message)s::bigint, (SELECT max(id) FROM messages) - %(back)s) RETURNING id",
    "v2": b"UPDATE messages SET account_id = (SELECT id FROM accounts WHERE sid = 'AC' || md5(%(account)s::text))"
    b" WHERE id = coalesce(%(message)s::bigint, (SELECT max(id) FROM messages) - %(back)s) RETURNING id",
}


def write_message(connection: psycopg.Connection[Any], version: AppVersion) -> int:
    row = connection.execute(WRITE[version], {"account": random.randint(1, ACCOUNTS)}).fetchone()
    assert row is not None
    return int(row[0])


def read_messages(connection: psycopg.Connection[Any], version: AppVersion) -> int:
    """Return how many messages the account page shows (the last ten)."""
    return len(
        connection.execute(READ[version], {"account": random.randint(1, ACCOUNTS)}).fetchall()
    )


def move_message(
    connection: psycopg.Connection[Any],
    version: AppVersion,
    *,
    message: int | None = None,
    account: int | None = None,
) -> int:
    """Move a message to account number `account` (random when None); return how many rows moved."""
    params = {
        "message": message,
        "account": account or random.randint(1, ACCOUNTS),
        "back": random.randrange(100),
    }
    return len(connection.execute(MOVE[version], params).fetchall())
