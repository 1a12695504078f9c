"""What do the habits cost? Log lines, the request middleware, Idempotency-Key, and jitter under contention.

Run: `python -m benchmarks.error_handling_bench` (needs REDIS_URL or Docker). Bounded: a few seconds.
`--quick`: a smoke pass, written under out/bench-quick/.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import random
import time
import uuid
from typing import Any

import httpx
import redis.asyncio
import structlog
from fastapi import APIRouter, FastAPI
from rich.console import Console
from rich.table import Table

from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from benchmarks.common import add_quick, command, machine, write_results
from error_handling.idempotency import ANYONE, idempotent_route, scoped_key
from error_handling.idempotency_store import KEY_PREFIX, IdempotencyStore
from error_handling.install import install_error_handling
from error_handling.redaction import redact_secrets
from error_handling.retry import Backoff
from error_handling.structured_logging import configure_logging

EVENT = {
    "event": "message queued",
    "message_id": "msg_5f9fb07515224704a9854fa7279908f9",
    "to": "+14155550100",
    "headers": {"authorization": "Bearer abcdefghijkl", "user-agent": "curl/8"},
    "request_id": "5ab2e1172e1941f38edd442a0397615a",
}


def bench_log_lines(lines: int) -> dict[str, float]:
    """Microseconds per line: the redaction processor alone, and the whole JSON pipeline."""
    started = time.perf_counter()
    for _ in range(lines):
        redact_secrets(None, "info", dict(EVENT))
    redaction_us = (time.perf_counter() - started) / lines * 1e6

    configure_logging(json=True, stream=io.StringIO())
    log = structlog.get_logger("bench")
    started = time.perf_counter()
    for _ in range(lines):
        log.info("message queued", **{k: v for k, v in EVENT.items() if k != "event"})
    pipeline_us = (time.perf_counter() - started) / lines * 1e6
    return {"redaction_us_per_line": redaction_us, "json_pipeline_us_per_line": pipeline_us}


async def time_interleaved(
    cases: dict[str, tuple[FastAPI, dict[str, Any]]], rounds: int
) -> dict[str, list[float]]:
    """Milliseconds per request for each case, taken in turns so machine noise hits all alike."""
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        for name, (app, _) in cases.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for _ in range(rounds):
            for name, (_, request) in cases.items():
                kwargs = {
                    key: value() if callable(value) else value for key, value in request.items()
                }
                started = time.perf_counter()
                response = await clients[name].request(**kwargs)
                samples[name].append((time.perf_counter() - started) * 1000)
                assert response.status_code < 500, response.text
    finally:
        for client in clients.values():
            await client.aclose()
    return samples


def plain_app(with_error_handling: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    if with_error_handling:
        install_error_handling(app)
    return app


def idempotent_app(store: IdempotencyStore) -> FastAPI:
    app = FastAPI()
    router = APIRouter(route_class=idempotent_route(store))

    @router.post("/charges", status_code=201)
    async def charge(body: dict[str, int]) -> dict[str, int]:
        return body

    app.include_router(router)
    install_error_handling(app)
    return app


async def bench_http(redis_url: str, requests: int) -> dict[str, dict[str, float]]:
    """Per-request latency in process (httpx ASGITransport), so the figures isolate our code."""
    configure_logging(json=True, stream=io.StringIO())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    keys: list[str] = []
    try:
        app = idempotent_app(IdempotencyStore(client))

        def fresh_key() -> dict[str, str]:
            keys.append(f"bench-{uuid.uuid4().hex}")
            return {"Idempotency-Key": keys[-1]}

        replay_key = fresh_key()
        await time_interleaved(
            {
                "warm": (
                    app,
                    {"method": "POST", "url": "/charges", "json": {"a": 1}, "headers": replay_key},
                )
            },
            rounds=1,
        )
        post: dict[str, Any] = {"method": "POST", "url": "/charges", "json": {"a": 1}}
        runs = await time_interleaved(
            {
                "GET, bare FastAPI": (plain_app(False), {"method": "GET", "url": "/ping"}),
                "GET, with install_error_handling": (
                    plain_app(True),
                    {"method": "GET", "url": "/ping"},
                ),
                "POST, no Idempotency-Key": (app, post),
                "POST, new key (claim + finish)": (app, {**post, "headers": fresh_key}),
                "POST, replayed key": (app, {**post, "headers": replay_key}),
            },
            rounds=requests,
        )
    finally:
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            await client.delete(
                *[KEY_PREFIX + scoped_key(ANYONE, "POST /charges", k) for k in batch]
            )
        await client.aclose()
    return {
        name: {
            "p50_ms": percentile(samples, 50),
            "p99_ms": percentile(samples, 99),
            "requests": len(samples),
        }
        for name, samples in runs.items()
    }


def simulate_herd(clients: int, capacity: int, jitter: bool, seed: int) -> dict[str, float]:
    """N clients fail at once against a server that admits `capacity` calls per 10 ms window.

    Each retries with the package's Backoff ceilings, with full jitter or without. Counts calls
    (work the server must absorb) and the time until the last client succeeds. Simulated time.
    """
    backoff = Backoff(base_s=0.01, cap_s=1.0, max_attempts=20, deadline_s=60)
    draw = random.Random(seed)
    pending = [(0.0, client, 0) for client in range(clients)]  # (when, who, failures so far)
    calls, gave_up, finished_at, window_load = 0, 0, 0.0, dict[int, int]()
    while pending:
        pending.sort(key=lambda item: item[0])
        at, client, failures = pending.pop(0)
        calls += 1
        window = int(at / 0.01)
        window_load[window] = window_load.get(window, 0) + 1
        if window_load[window] <= capacity:
            finished_at = max(finished_at, at)
            continue
        failures += 1
        if failures >= backoff.max_attempts:
            gave_up += 1
            continue
        ceiling = backoff.ceiling(failures)
        pending.append((at + (draw.random() * ceiling if jitter else ceiling), client, failures))
    return {
        "calls": calls,
        "calls_per_client": calls / clients,
        "gave_up": gave_up,
        "last_success_s": finished_at,
    }


def show(args: argparse.Namespace, logs: dict[str, float], http: Any, herd: Any) -> None:
    console = Console()
    table = Table(title=f"log lines ({args.lines:,})")
    table.add_column("step")
    table.add_column("µs / line", justify="right")
    for name, value in logs.items():
        table.add_row(name, f"{value:.1f}")
    console.print(table)

    table = Table(title=f"in-process requests ({args.requests} each, real Redis)")
    for column in ("case", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right" if column != "case" else "left")
    for name, row in http.items():
        table.add_row(name, f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}")
    console.print(table)

    table = Table(title=f"{args.clients} clients fail at once; server admits 10 calls / 10 ms")
    for column in ("backoff", "calls", "calls / client", "gave up", "last success (s)"):
        table.add_column(column, justify="right" if column != "backoff" else "left")
    for name, row in herd.items():
        table.add_row(
            name,
            f"{row['calls']:.0f}",
            f"{row['calls_per_client']:.2f}",
            f"{row['gave_up']:.0f}",
            f"{row['last_success_s']:.3f}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.error_handling_bench")
    parser.add_argument("--lines", type=int, default=20_000, help="log lines to time")
    parser.add_argument("--requests", type=int, default=500, help="requests per HTTP case")
    parser.add_argument("--clients", type=int, default=200, help="clients in the retry simulation")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:  # every measurement, a few of each
        args.lines, args.requests, args.clients = 500, 20, 50
    if min(args.lines, args.requests, args.clients) < 1:
        parser.error("every count must be at least 1")

    logs = bench_log_lines(args.lines)
    with services_for_demo() as services:
        http = asyncio.run(bench_http(services.redis_url, args.requests))
    herd = {
        "no jitter": simulate_herd(args.clients, capacity=10, jitter=False, seed=1),
        "full jitter": simulate_herd(args.clients, capacity=10, jitter=True, seed=1),
    }
    show(args, logs, http, herd)
    record = {
        "command": command("error_handling_bench"),
        "machine": machine(),
        "arguments": vars(args),
        "log_lines": logs,
        "http": http,
        "retry_herd": herd,
    }
    print(f"wrote {write_results('error_handling', record, args.quick)}")


if __name__ == "__main__":
    main()
