"""`python -m app.walkthrough`: the mini Twilio end to end, narrated.

Sign up, sign in, open an account, send a message, watch it delivered and its signed callback arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.local_stack import local_stack
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema

SCHEMA = "demo_mini_twilio"
PASSWORD = "correct horse battery staple"  # noqa: S105 - a demo user's password
T = TypeVar("T")

MESSAGE_STATUS = """query($account: String!, $sid: String!) {
  message(accountSid: $account, sid: $sid) { sid status to }
}"""


@dataclass(frozen=True)
class Walk:
    request_id: str
    account_sid: str
    message_sid: str
    rest_status: str
    graphql_status: str
    callback: dict[str, Any]


async def poll(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float = 30) -> T:
    """Ask until `check` returns something, or fail saying what never happened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (found := await check()) is not None:
            return found
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {timeout_s:.0f} s")


async def sign_in(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    (
        await api.post("/auth/users", json={"username": username, "password": PASSWORD})
    ).raise_for_status()
    token = await api.post(
        "/auth/token", data={"grant_type": "password", "username": username, "password": PASSWORD}
    )
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def open_account(api: httpx.AsyncClient, auth: dict[str, str]) -> tuple[str, str]:
    account = await api.post(
        "/2010-04-01/Accounts.json", data={"FriendlyName": "Demo"}, headers=auth
    )
    account.raise_for_status()
    return account.json()["sid"], account.json()["phone_numbers"][0]["phone_number"]


@dataclass(frozen=True)
class Session:
    """One signed-in user with an account: the clients and names every step after sign-in needs."""

    api: httpx.AsyncClient
    auth: dict[str, str]
    account_sid: str
    sender: str

    def messages_url(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def message_url(self, message_sid: str) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}.json"


async def walk(
    api_url: str, receiver_url: str, callback_url: str, say: Callable[[str], None] = print
) -> Walk:
    """The story in six steps; each step is one function below, in order."""
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=10) as api,
        httpx.AsyncClient(base_url=receiver_url, timeout=10) as receiver,
    ):
        session = await sign_up_and_open_an_account(api, say)
        request_id = f"walk-{uuid.uuid4().hex[:12]}"
        message_sid = await send_and_retry(session, request_id, callback_url, say)
        rest_status = await wait_for_delivery(session, message_sid, say)
        callback = await wait_for_the_callback(receiver, message_sid, say)
        graphql_status = await read_over_graphql(session, message_sid)
        say(f"6. REST says {rest_status!r}; GraphQL says {graphql_status!r}")
        account = session.account_sid
        return Walk(request_id, account, message_sid, rest_status, graphql_status, callback)


async def sign_up_and_open_an_account(
    api: httpx.AsyncClient, say: Callable[[str], None]
) -> Session:
    username = f"demo{uuid.uuid4().hex[:8]}"
    auth = await sign_in(api, username)
    say(f"1. {username} signed up and got an access token (Ed25519 JWT) at POST /auth/token")
    account_sid, sender = await open_account(api, auth)
    say(f"2. opened account {account_sid} with the sending number {sender}")
    return Session(api, auth, account_sid, sender)


async def send_and_retry(
    session: Session, request_id: str, callback_url: str, say: Callable[[str], None]
) -> str:
    """Send once with an Idempotency-Key, then retry the same POST: one message, two answers."""
    form = {
        "To": "+15558675310",
        "From": session.sender,
        "Body": "Hello from the mini Twilio",
        "StatusCallback": callback_url,
    }
    headers = {**session.auth, "Idempotency-Key": request_id}
    sent = await session.api.post(
        session.messages_url(), data=form, headers={**headers, "X-Request-ID": request_id}
    )
    sent.raise_for_status()
    message_sid: str = sent.json()["sid"]
    say(
        f"3. POST Messages.json → {sent.status_code} {message_sid}, status {sent.json()['status']!r} (row + outbox row, one transaction)"
    )
    say(
        f"   rate limit: {sent.headers.get('RateLimit')} under policy {sent.headers.get('RateLimit-Policy')}"
    )
    replay = await session.api.post(session.messages_url(), data=form, headers=headers)
    say(
        f"   the same POST retried with its Idempotency-Key → {replay.status_code}, the same {replay.json()['sid']} (replayed, not re-sent)"
    )
    return message_sid


async def wait_for_delivery(session: Session, message_sid: str, say: Callable[[str], None]) -> str:
    async def delivered() -> str | None:
        response = await session.api.get(session.message_url(message_sid), headers=session.auth)
        status = response.json()["status"]
        return status if status == "delivered" else None

    status = await poll("delivery", delivered)
    say(
        "4. the relay published the outbox row to a Redis Stream; the worker delivered it: status 'delivered'"
    )
    return status


async def wait_for_the_callback(
    receiver: httpx.AsyncClient, message_sid: str, say: Callable[[str], None]
) -> dict[str, Any]:
    async def callback_arrived() -> dict[str, Any] | None:
        for item in (await receiver.get("/status-callbacks")).json():
            if item["params"].get("MessageSid") == message_sid:
                return dict(item)
        return None

    callback = await poll("the status callback", callback_arrived)
    say(
        f"5. the receiver got a status callback signed with X-Twilio-Signature and checked it: {callback['params']['MessageStatus']}"
    )
    return callback


async def read_over_graphql(session: Session, message_sid: str) -> str:
    variables = {"account": session.account_sid, "sid": message_sid}
    answer = await session.api.post(
        "/graphql", json={"query": MESSAGE_STATUS, "variables": variables}, headers=session.auth
    )
    status: str = answer.json()["data"]["message"]["status"]
    return status


def walk_local() -> None:
    """Start the four processes here, walk, show the shared request id in their logs, stop."""
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        log_dir = Path("out/mini_twilio")
        # Each walk's logs are its own: replace the last walk's files rather than append to them.
        for old_log in log_dir.glob("*.log"):
            old_log.unlink()
        try:
            print("Starting api, relay, worker and webhook receiver on free loopback ports...")
            with local_stack(services.redis_url, database_url, log_dir) as stack:
                walked = asyncio.run(walk(stack.api_url, stack.receiver_url, stack.callback_url))
                for step, name in enumerate(("api", "relay", "worker", "receiver"), start=7):
                    lines = [
                        line for line in stack.log(name).splitlines() if walked.request_id in line
                    ]
                    print(
                        f"{step}. {name}: {len(lines)} log lines carry request id {walked.request_id} ({log_dir}/{name}.log)"
                    )
        finally:
            drop_schema(services.database_url, SCHEMA)
    print("All processes stopped.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", help="walk an already running API (compose: http://api:8000)")
    parser.add_argument("--receiver", help="its webhook receiver, as this process reaches it")
    parser.add_argument(
        "--callback-url", help="the receiver's callback URL, as the worker reaches it"
    )
    args = parser.parse_args()
    if args.api is None:
        walk_local()
        return
    if args.receiver is None:
        parser.error("--api needs --receiver too")
    callback_url = args.callback_url or f"{args.receiver}/status-callbacks"
    try:
        asyncio.run(walk(args.api, args.receiver, callback_url))
    except httpx.TransportError as error:
        raise SystemExit(f"cannot reach the running system: {error!r}") from None


if __name__ == "__main__":
    main()
