"""`python -m error_handling`: a few requests through a small API, the client's view beside the logs.

Each step prints what the client saw, then the service's log lines for that request id.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import uuid
from typing import Any

import httpx
import redis.asyncio

from backing_services.resolve import services_for_demo
from error_handling.demo_app import MESSAGES, STREAM, create_demo_app
from error_handling.idempotency import ANYONE, scoped_key
from error_handling.idempotency_store import KEY_PREFIX
from error_handling.retry import Backoff, retry
from error_handling.stream_worker import deliver_pending
from error_handling.structured_logging import configure_logging

SHOWN = ("route", "status", "error_id", "message_id", "attempt", "delay_s", "error", "trace_id")


class Demo:
    def __init__(self, client: httpx.AsyncClient, logs: io.StringIO, raw: bool) -> None:
        self.client, self.logs, self.raw = client, logs, raw
        self.seen = 0

    def new_lines(self) -> list[dict[str, Any]]:
        lines = self.logs.getvalue().splitlines()[self.seen :]
        self.seen += len(lines)
        return [json.loads(line) for line in lines if line.startswith("{")]

    def show_logs(self, heading: str = "service logged") -> None:
        print(f"  {heading}:")
        for line in self.new_lines():
            if self.raw:
                print("    " + json.dumps(line)[:400])
                continue
            fields = " ".join(f"{key}={line[key]}" for key in SHOWN if key in line)
            print(
                f"    {line['level']:<7} {line['event']:<24} request_id={line.get('request_id', '-')} {fields}"
            )
            if "exception" in line:
                last = line["exception"].strip().splitlines()[-1]
                print(
                    f"            traceback logged ({line['exception'].count(chr(10))} lines), ending: {last}"
                )

    async def send(self, title: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        print(f"\n▶ {title}\n  client: {method} {path}")
        response = await self.client.request(method, path, **kwargs)
        replayed = " (replayed)" if response.headers.get("idempotent-replayed") else ""
        print(
            f"  client got {response.status_code}{replayed}, X-Request-ID {response.headers['x-request-id']}"
        )
        print(f"    {response.text[:300]}")
        self.show_logs()
        return response


async def show_error_shapes(demo: Demo) -> None:
    """Steps 1–3: each failure the client can meet, and how loudly the service logs it."""
    await demo.send(
        "1. A validation error: 422 problem+json listing each field; a warning, not an error",
        "POST",
        "/messages",
        json={"to": "555-0100", "body": ""},
    )
    await demo.send(
        "2. A lookup of something that does not exist: 404 problem",
        "GET",
        f"/messages/msg_{'0' * 32}",
    )
    await demo.send(
        "3. A crash: the client gets an error_id only; the log has the traceback under that id",
        "GET",
        "/crash",
    )


async def show_idempotent_post(demo: Demo, key: str) -> str:
    """Steps 4–6: a POST made safe to retry by its Idempotency-Key; returns the message's id."""
    message = {"to": "+14155550100", "body": "Your code is 123456"}
    first = await demo.send(
        f"4. An idempotent POST (Idempotency-Key: {key}), sent with a request id of our own",
        "POST",
        "/messages",
        json=message,
        headers={"Idempotency-Key": key, "X-Request-ID": f"req-{key}"},
    )
    await demo.send(
        "5. The answer was lost; the client retries with the same key: replayed, not re-sent",
        "POST",
        "/messages",
        json=message,
        headers={"Idempotency-Key": key},
    )
    await demo.send(
        "6. Same key, different body: a client bug, refused with 422",
        "POST",
        "/messages",
        json={**message, "body": "other"},
        headers={"Idempotency-Key": key},
    )
    return str(first.json()["id"])


async def show_worker_keeps_the_request_id(demo: Demo, store: redis.asyncio.Redis) -> None:
    """Step 7: the queued message carries the API's ids, and the worker logs under them."""
    print("\n▶ 7. The worker delivers the queued message; its lines carry the API's request id")
    await deliver_pending(store)
    demo.show_logs("worker logged")


async def show_retry_with_backoff(demo: Demo) -> None:
    """Step 8: a flaky upstream, retried with full-jitter backoff because the call is idempotent."""
    print(
        "\n▶ 8. A flaky upstream: retried with full-jitter backoff, only because it is idempotent"
    )
    failures = iter([ConnectionError("carrier reset"), ConnectionError("carrier reset")])

    async def carrier_status() -> str:
        error = next(failures, None)
        if error:
            raise error
        return "delivered"

    outcome = await retry(
        carrier_status,
        idempotent=True,
        transient=(ConnectionError,),
        backoff=Backoff(base_s=0.05, cap_s=0.2, deadline_s=2),
    )
    print(f"  result: {outcome}")
    demo.show_logs("helper logged")


async def run(redis_url: str, raw: bool) -> None:
    """The steps in order, against an in-process app on the real Redis; leaves no keys behind."""
    logs = io.StringIO()
    configure_logging(json=True, stream=logs)
    # The demo client's own lines would crowd out the service's.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    store = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    key = f"demo-{uuid.uuid4().hex[:8]}"
    created: list[str] = []
    try:
        transport = httpx.ASGITransport(app=create_demo_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            demo = Demo(client, logs, raw)
            await show_error_shapes(demo)
            created.append(await show_idempotent_post(demo, key))
            await show_worker_keeps_the_request_id(demo, store)
            await show_retry_with_backoff(demo)
            print(
                "\nOne request id joins the client's view, the API's lines and the worker's lines."
            )
    finally:
        stored_key = KEY_PREFIX + scoped_key(ANYONE, "POST /messages", key)
        await store.delete(STREAM, stored_key, *[MESSAGES + id_ for id_ in created])
        await store.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m error_handling", description=__doc__)
    parser.add_argument("--raw", action="store_true", help="print each log line as the JSON it is")
    args = parser.parse_args()
    with services_for_demo() as services:
        asyncio.run(run(services.redis_url, args.raw))


if __name__ == "__main__":
    main()
