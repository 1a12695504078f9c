"""What do the security layers cost? Signatures, key hashing (HMAC vs Argon2), comparison timing, middleware, auth.

Run: `python -m benchmarks.api_security_bench` (needs REDIS_URL/DATABASE_URL or Docker). Bounded: well under a minute.
`--quick`: a smoke pass of a few seconds, written under out/bench-quick/.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api_security.api_keys import ApiKeyStore
from api_security.demo_app import create_app
from api_security.install import install_security
from api_security.settings import SecuritySettings
from api_security.signatures import RequestValidator
from auth.settings import AuthSettings
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import add_quick, command, machine, write_results

SCHEMA = "bench_api_security"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


def bench_signatures(calls: int) -> dict[str, float]:
    validator = RequestValidator("12345")
    signature = validator.compute_signature(URL, PARAMS)
    return {
        "compute_signature_us": per_call_us(
            lambda: validator.compute_signature(URL, PARAMS), calls
        ),
        "validate_us (3 URL forms)": per_call_us(
            lambda: validator.validate(URL, PARAMS, signature), calls
        ),
    }


def bench_key_hashing(calls: int, argon_calls: int) -> dict[str, float]:
    """Why no Argon2 for API keys: the secret has 256 bits, so slowing each guess buys nothing.

    Argon2id at the parameters `auth` stores passwords with (AuthSettings), not pwdlib's defaults.
    """
    secret = "x" * 43
    pepper = b"pepper"
    auth = AuthSettings()
    argon = PasswordHash(
        (
            Argon2Hasher(
                time_cost=auth.argon2_time_cost,
                memory_cost=auth.argon2_memory_kib,
                parallelism=auth.argon2_parallelism,
            ),
        )
    )
    argon_hash = argon.hash(secret)
    return {
        "hmac_sha256_verify_us": per_call_us(
            lambda: hmac.compare_digest(
                hmac.new(pepper, secret.encode(), "sha256").digest(), b"\0" * 32
            ),
            calls,
        ),
        "argon2_verify_us": per_call_us(lambda: argon.verify(secret, argon_hash), argon_calls),
    }


def bench_comparison(rounds: int) -> dict[str, float]:
    """Median ns to reject a 32-byte MAC that differs at the first vs the last byte.

    The four cases are interleaved in a fresh order each round, so drift and warm-up hit them alike.
    """
    expected = bytes(range(32))
    first, last = b"\xff" + expected[1:], expected[:-1] + b"\xff"
    cases: dict[str, tuple[Callable[[bytes, bytes], bool], bytes]] = {
        "==, differs at first byte (ns)": (bytes.__eq__, first),
        "==, differs at last byte (ns)": (bytes.__eq__, last),
        "compare_digest, differs at first byte (ns)": (hmac.compare_digest, first),
        "compare_digest, differs at last byte (ns)": (hmac.compare_digest, last),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    for _ in range(rounds):
        random.shuffle(order)  # no case always runs after the same neighbour
        for name in order:
            compare, candidate = cases[name]
            started = time.perf_counter_ns()
            for _ in range(100):
                compare(candidate, expected)
            samples[name].append((time.perf_counter_ns() - started) / 100)
    return {name: percentile(values, 50) for name, values in samples.items()}


async def timed_requests(
    client: httpx.AsyncClient, requests: int, send: Callable[[], Any]
) -> dict[str, float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await send()
        samples.append((time.perf_counter() - started) * 1e3)
        assert response.status_code < 300, response.text
    return {
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "requests": requests,
    }


async def timed_queries(engine: AsyncEngine, queries: int) -> dict[str, float]:
    samples = []
    for _ in range(queries):
        started = time.perf_counter()
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        samples.append((time.perf_counter() - started) * 1e3)
    return {
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "requests": queries,
    }


def bare_app(secured: bool, settings: SecuritySettings) -> FastAPI:
    app = FastAPI()
    if secured:
        install_security(app, settings)

    @app.post("/echo")
    async def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    return app


async def bench_http(
    requests: int, redis_url: str, database_url: str
) -> dict[str, dict[str, float]]:
    settings = SecuritySettings(webhook_auth_token="bench-token", api_key_pepper="bench-pepper")  # noqa: S106
    results: dict[str, dict[str, float]] = {}
    for secured in (False, True):
        app = bare_app(secured, settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            label = "POST /echo, with install_security" if secured else "POST /echo, bare FastAPI"
            results[label] = await timed_requests(
                client, requests, partial(client.post, "/echo", json={"a": "b"})
            )

    app = create_app(settings, redis_url=redis_url, database_url=database_url)
    async with app.router.lifespan_context(app):
        root = await ApiKeyStore(app.state.engine, "bench-pepper").create(
            "bench", ["api-keys:read"], owner="ACbench"
        )
        validator = RequestValidator("bench-token")
        form = {"From": "+14158675309", "Body": "hello"}
        url = "http://testserver/webhooks/inbound"
        signed = {"X-Twilio-Signature": validator.compute_signature(url, form)}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            results["POST /webhooks/inbound, signed form"] = await timed_requests(
                client, requests, lambda: client.post(url, data=form, headers=signed)
            )
            results["floor: one SELECT 1 on the same engine (no HTTP)"] = await timed_queries(
                app.state.engine, requests
            )
            results["GET /api-keys, API key checked in Postgres"] = await timed_requests(
                client,
                requests,
                lambda: client.get("/api-keys?limit=1", auth=(root.key.sid, root.secret)),
            )
    return results


def show(per_call: dict[str, float], comparison: dict[str, float], http: dict[str, Any]) -> None:
    console = Console()
    micro = Table(title="api_security: per-call cost (µs, mean)")
    micro.add_column("operation")
    micro.add_column("µs", justify="right")
    for name, value in per_call.items():
        micro.add_row(name, f"{value:,.1f}")
    console.print(micro)
    timing = Table(title="rejecting a wrong 32-byte MAC (ns, median of rounds × 100)")
    timing.add_column("comparison")
    timing.add_column("ns", justify="right")
    for name, value in comparison.items():
        timing.add_row(name, f"{value:.1f}")
    console.print(timing)
    latency = Table(title="in-process HTTP latency (sequential requests)")
    for column in ("scenario", "p50 ms", "p99 ms"):
        latency.add_column(column, justify="left" if column == "scenario" else "right")
    for name, row in http.items():
        latency.add_row(name, f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}")
    console.print(latency)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_security_bench")
    parser.add_argument("--calls", type=int, default=20_000, help="calls per micro-benchmark")
    parser.add_argument("--argon-calls", type=int, default=20, help="Argon2 verifications")
    parser.add_argument("--requests", type=int, default=300, help="HTTP requests per scenario")
    parser.add_argument("--rounds", type=int, default=2_000, help="comparison rounds of 100")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:  # every measurement, a few calls each
        args.calls, args.argon_calls, args.requests, args.rounds = 500, 2, 20, 100
    if min(args.calls, args.argon_calls, args.requests, args.rounds) < 1:
        parser.error("every count must be at least 1")

    per_call = {**bench_signatures(args.calls), **bench_key_hashing(args.calls, args.argon_calls)}
    comparison = bench_comparison(args.rounds)
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            http = asyncio.run(bench_http(args.requests, services.redis_url, database_url))
        finally:
            drop_schema(services.database_url, SCHEMA)
    show(per_call, comparison, http)
    record = {
        "command": command("api_security_bench"),
        "machine": machine(),
        "arguments": vars(args),
        "per_call_us": per_call,
        "comparison_ns": comparison,
        "http": http,
    }
    print(f"wrote {write_results('api_security', record, args.quick)}")


if __name__ == "__main__":
    main()
