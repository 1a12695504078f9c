"""Benchmark: decisions per second and latency of each limiter against one loopback Redis.

`python -m benchmarks.rate_limiter_bench` prints a table and writes benchmarks/results/rate_limiter.json
(`--quick`: a smoke pass, written under out/bench-quick/).
`--profile` adds where the time goes: CPU per decision in this process and in redis-server, for the
floor and the bucket, with the hiredis parser and the pure-Python one, and EVALSHA against FCALL;
and, with redis-benchmark (a C client with next to no client cost), the same GET and EVALSHA, with
the microseconds each spends inside Redis (INFO commandstats): the ceiling any client could reach;
and the instructions redis-server executes per call, counted by callgrind, which a busy machine
does not change: the script's cost taken apart, and its numbers formatted by the script or by Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis.asyncio
from limits import RateLimitItemPerHour, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from rich.console import Console
from rich.progress import track
from rich.table import Table

from backing_services.local_processes import (
    free_port,
    redis_server_argv,
    redis_server_available,
    running,
)
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from benchmarks.common import add_quick, command, machine, write_results
from rate_limiter import Policy, RedisTokenBucket, TokenBucket
from rate_limiter.http import FailureCounts
from rate_limiter.redis_token_bucket import SCRIPT, SCRIPT_SHA, script_shapes
from rate_limiter.settings import RateLimiterSettings, limiter_redis

PREFIX = "bench_rate_limiter"
Operation = Callable[[], Awaitable[object]]


@dataclass
class Row:
    name: str
    tasks: int
    ops: int
    per_second: float
    p50_us: float
    p99_us: float
    vs_floor: float = 0.0


@dataclass
class Sample:
    latencies_ns: list[int]
    elapsed_s: float = 0.0

    def row(self, name: str, tasks: int) -> Row:
        ops, latencies = len(self.latencies_ns), self.latencies_ns
        p50_us, p99_us = percentile(latencies, 50) / 1e3, percentile(latencies, 99) / 1e3
        return Row(name, tasks, ops, ops / self.elapsed_s, p50_us, p99_us)


async def measure(op: Operation, tasks: int, seconds: float, max_ops: int, sample: Sample) -> None:
    """Run `op` from `tasks` concurrent tasks until `seconds` or `max_ops`; bounded both ways."""
    for _ in range(min(100, max_ops // 10)):  # warm-up: connections, script cache
        await op()
    latencies = sample.latencies_ns
    budget = len(latencies) + max_ops
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline and len(latencies) < budget:
            start = time.perf_counter_ns()
            await op()
            latencies.append(time.perf_counter_ns() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    sample.elapsed_s += time.perf_counter() - started


async def measure_all(
    scenarios: list[tuple[str, Operation]], seconds: float, max_ops: int, rounds: int
) -> list[Row]:
    """Scenarios take turns, round after round, so a busy spell on the machine hits them alike."""
    rows = []
    for tasks in (1, 32):
        samples = {name: Sample([]) for name, _ in scenarios}
        for _ in range(rounds):
            for name, op in scenarios:
                await measure(op, tasks, seconds / rounds, max_ops // rounds, samples[name])
        rows += [samples[name].row(name, tasks) for name, _ in scenarios]
    return rows


def silent_listener() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    return listener


def limits_op(storage: RedisStorage, strategy: type, items: Sequence[object]) -> Operation:
    """One decision by the `limits` library: one round trip per limit, as it makes them."""
    limiter, caller = strategy(storage), f"{strategy.__name__}-{len(items)}"

    async def op() -> bool:
        return all([await limiter.hit(item, caller) for item in items])

    return op


def in_memory_scenarios() -> list[tuple[str, Operation]]:
    memory = TokenBucket(1e9, 1e9)

    async def memory_op() -> object:
        return memory.acquire("bench")

    # More active callers than max_keys: every bucket is partly spent, so none may be forgotten.
    crowded, crowd = TokenBucket(1e9, 1e-3), [f"caller-{n}" for n in range(150_000)]
    for caller in crowd:
        crowded.acquire(caller)
    turn = iter(range(10**12))

    async def crowded_op() -> object:
        return crowded.acquire(crowd[next(turn) % len(crowd)])

    return [
        ("in-memory token bucket", memory_op),
        ("in-memory, 150,000 active keys (max_keys 100,000)", crowded_op),
    ]


async def redis_scenarios(client: redis.asyncio.Redis) -> list[tuple[str, Operation]]:
    one = RedisTokenBucket(client, 1e9, 1e9, PREFIX)
    two = RedisTokenBucket(
        client, 1e9, 1e9, PREFIX, name="burst", extra_policies=[Policy("hourly", 1e9, 1e9)]
    )
    cached = RedisTokenBucket(client, 1, 1e-6, PREFIX, name="cached")
    uncached = RedisTokenBucket(client, 1, 1e-6, PREFIX, name="uncached", local_deny_cache=False)
    await client.set(f"{PREFIX}:floor", "1")
    await cached.acquire("exhausted")
    await uncached.acquire("exhausted")
    return [
        ("Redis token bucket, 1 policy", lambda: one.acquire("bench")),
        ("Redis token bucket, 2 policies", lambda: two.acquire("bench")),
        ("Redis bucket, denied, local deny cache", lambda: cached.acquire("exhausted")),
        ("Redis bucket, denied, no local cache", lambda: uncached.acquire("exhausted")),
    ]


def library_scenarios(storage: RedisStorage) -> list[tuple[str, Operation]]:
    per_second, per_hour = RateLimitItemPerSecond(10**9), RateLimitItemPerHour(10**9)
    strategies = (
        ("fixed window", FixedWindowRateLimiter),
        ("moving window", MovingWindowRateLimiter),
        ("sliding counter", SlidingWindowCounterRateLimiter),
    )
    return [
        (f"limits {name}, {label}", limits_op(storage, strategy, items))
        for label, items in (("1 limit", [per_second]), ("2 limits", [per_second, per_hour]))
        for name, strategy in strategies
    ]


async def run(
    redis_url: str, seconds: float, max_ops: int, rounds: int
) -> tuple[list[Row], dict[str, float]]:
    client = redis.asyncio.Redis.from_url(redis_url, max_connections=64)
    storage = RedisStorage(
        redis_url.replace("redis://", "async+redis://", 1),
        implementation="redispy",
        key_prefix=PREFIX,
    )
    floor: list[tuple[str, Operation]] = [
        ("floor: one GET round trip", lambda: client.get(f"{PREFIX}:floor"))
    ]
    try:
        scenarios = [
            *floor,
            *in_memory_scenarios(),
            *await redis_scenarios(client),
            *library_scenarios(storage),
        ]
        rows = await measure_all(scenarios, seconds, max_ops, rounds)
        rows.append(await outage_row(max(5, min(50, max_ops // 100))))
    finally:
        keys = [key async for key in client.scan_iter(f"{PREFIX}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    return rows, goals(rows)


async def outage_row(ops: int) -> Row:
    """Fail-open against a Redis that accepts connections and never answers: the timeout bounds it."""
    listener = silent_listener()
    settings = RateLimiterSettings()
    client = limiter_redis(f"redis://127.0.0.1:{listener.getsockname()[1]}/0", settings)
    bucket = RedisTokenBucket(client, 10, 10, PREFIX)
    counts = FailureCounts()

    async def fail_open() -> None:
        try:
            await bucket.acquire("bench")
        except (redis.RedisError, OSError):
            counts.allowed += 1

    sample = Sample([])
    try:
        await measure(fail_open, 1, 30, ops, sample)
    finally:
        await client.aclose()
        listener.close()
    return sample.row(f"fail-open, Redis hung ({settings.redis_timeout_s * 1e3:g} ms timeout)", 1)


@dataclass
class CpuRow:
    parser: str
    name: str
    client_cpu_us: float  # this process, per decision
    server_cpu_us: float  # redis-server, per decision (only ours with --own-redis)
    wall_us: float


async def profile(redis_url: str, ops_per_round: int) -> list[CpuRow]:
    """CPU time per decision, which a busy machine inflates far less than wall time."""
    from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser

    rows = []
    for parser_name, parser in (
        ("hiredis", _AsyncHiredisParser),
        ("pure Python", _AsyncRESP2Parser),
    ):
        client = redis.asyncio.Redis.from_url(redis_url, parser_class=parser)
        try:
            rows += await profile_client(client, parser_name, ops_per_round)
        finally:
            await client.aclose()
    return rows


async def profile_client(
    client: redis.asyncio.Redis, parser_name: str, ops_per_round: int, rounds: int = 3
) -> list[CpuRow]:
    library = "#!lua name=ratelimit\nredis.register_function('token_bucket', function(KEYS, ARGV)\n"
    await client.function_load(library + SCRIPT + "\nend)", replace=True)
    await client.set(f"{PREFIX}:floor", "1")
    one = RedisTokenBucket(client, 1e9, 1e9, PREFIX)
    two = RedisTokenBucket(
        client, 1e9, 1e9, PREFIX, name="burst", extra_policies=[Policy("hourly", 1e9, 1e9)]
    )
    key, argv = f"{PREFIX}:{{raw}}:default", [10**6, *script_shapes(one.policies)]
    scenarios: dict[str, Operation] = {
        "floor: one GET": lambda: client.get(f"{PREFIX}:floor"),
        "bucket, 1 policy": lambda: one.acquire("bench"),
        "bucket, 2 policies": lambda: two.acquire("bench"),
        "script alone, EVALSHA": lambda: client.evalsha(SCRIPT_SHA, 1, key, *argv),
        "script alone, FCALL": lambda: client.fcall("token_bucket", 1, key, *argv),
    }
    totals = {name: [0.0, 0.0, 0.0] for name in scenarios}
    for op in scenarios.values():
        for _ in range(200):  # warm-up
            await op()
    for _ in range(rounds):  # interleaved, so a busy spell hits every scenario alike
        for name, op in scenarios.items():
            server, cpu, wall = await server_cpu_s(client), time.process_time(), time.perf_counter()
            for _ in range(ops_per_round):
                await op()
            total = totals[name]
            total[2] += time.perf_counter() - wall
            total[0] += time.process_time() - cpu
            total[1] += await server_cpu_s(client) - server
    await client.function_delete("ratelimit")
    per = rounds * ops_per_round / 1e6
    return [CpuRow(parser_name, n, c / per, s / per, w / per) for n, (c, s, w) in totals.items()]


@dataclass
class CeilingRow:
    name: str
    per_second: float  # redis-benchmark, one connection, one request at a time
    p50_us: float
    in_command_us: float  # INFO commandstats usec_per_call: inside Redis, parsing excluded


# What any script-based bucket pays inside Redis, built up from nothing to the bucket's script:
# the cost of running a script at all, then the four commands a bucket needs, with no arithmetic.
EMPTY_SCRIPT = "return 1"
FOUR_COMMANDS = (
    "redis.call('TIME') redis.call('HMGET', KEYS[1], 'tokens', 'ts')"
    " redis.call('HSET', KEYS[1], 'tokens', ARGV[1], 'ts', ARGV[2])"
    " redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1"
)
FOUR_COMMANDS_ARGS = ["1", f"{PREFIX}:{{c}}:p0", "5", "6", "60000"]


def bucket_args(policies: int) -> list[str]:
    """EVALSHA's words after the sha for a bucket of `policies` roomy policies: numkeys, keys, ARGV."""
    shapes = script_shapes([Policy(f"p{n}", 1e9, 1e9) for n in range(policies)])
    keys = [f"{PREFIX}:{{c}}:p{n}" for n in range(policies)]
    return [str(policies), *keys, *map(str, (10**6, *shapes))]


def c_client_ceiling(redis_url: str, requests: int, rounds: int = 5) -> list[CeilingRow]:
    """GET, scripts and the bucket's EVALSHA from redis-benchmark: what a client costing nothing sees.

    The commands alternate for `rounds` rounds and each figure is the median, so a slow spell of
    this VM lands on every row alike.
    """
    if shutil.which("redis-benchmark") is None or shutil.which("redis-cli") is None:
        return []
    url = urlsplit(redis_url)
    where = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379)]
    cli = ["redis-cli", *where]
    commands = {
        "floor: one GET": ["GET", f"{PREFIX}:floor"],
        "bucket script, EVALSHA": ["EVALSHA", load(cli, SCRIPT), *bucket_args(1)],
        "empty script (return 1), EVALSHA": ["EVALSHA", load(cli, EMPTY_SCRIPT), "0"],
        "TIME, HMGET, HSET, PEXPIRE only, EVALSHA": ["EVALSHA", load(cli, FOUR_COMMANDS), *FOUR_COMMANDS_ARGS],
    }  # fmt: skip
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, words in commands.items():
            runs[name].append(one_c_client_run(cli, [*where, "-n", str(requests // rounds)], words))
    return [
        CeilingRow(name, *(percentile([run[i] for run in found], 50) for i in range(3)))
        for name, found in runs.items()
    ]


def load(cli: list[str], source: str) -> str:
    return subprocess.run(
        [*cli, "SCRIPT", "LOAD", source], capture_output=True, text=True
    ).stdout.strip()


def one_c_client_run(
    cli: list[str], where: list[str], words: list[str]
) -> tuple[float, float, float]:
    """Requests per second, p50 µs and µs inside Redis per call (INFO commandstats) for `words`."""
    subprocess.run([*cli, "CONFIG", "RESETSTAT"], capture_output=True)
    bench = ["redis-benchmark", *where, "-c", "1", "--csv", *words]
    out = subprocess.run(bench, capture_output=True, text=True, check=True)
    result = next(csv.DictReader(out.stdout.splitlines()))
    stats = subprocess.run([*cli, "INFO", "commandstats"], capture_output=True, text=True).stdout
    stat = "cmdstat_" + words[0].lower() + ":"
    line = next(x for x in stats.splitlines() if x.startswith(stat))
    per_call = float(line.split("usec_per_call=")[1].split(",")[0])
    return float(result["rps"]), float(result["p50_latency_ms"]) * 1e3, per_call


@dataclass
class InstructionRow:
    name: str
    per_call: float  # instructions redis-server executes per call: reading it, running it, replying


def numbers_left_to_redis(script: str) -> str:
    """The bucket's script as it was before it formatted its numbers itself (the A/B's "before")."""
    return re.sub(r"string\.format\('%d', ([^)]+)\)", r"\1", script)


def server_instructions(calls: int = 3000, rows: int | None = None) -> list[InstructionRow]:
    """Instructions per call inside redis-server, counted by callgrind: the same on a busy machine.

    Each command runs `calls // 3` and then `calls` times against a fresh server under valgrind; the
    difference over the extra calls is the per-call cost, with start-up and shutdown cancelled out.
    `rows` keeps only the first few commands (the smoke pass).
    """
    if shutil.which("valgrind") is None or shutil.which("redis-benchmark") is None:
        return []
    before = numbers_left_to_redis(SCRIPT)
    commands: dict[str, tuple[str | None, list[str]]] = {
        "floor: one GET": (None, ["GET", f"{PREFIX}:floor"]),
        "empty script (return 1)": (EMPTY_SCRIPT, ["0"]),
        "TIME, HMGET, HSET, PEXPIRE only": (FOUR_COMMANDS, FOUR_COMMANDS_ARGS),
        "bucket script, 1 policy": (SCRIPT, bucket_args(1)),
        "bucket script, 2 policies": (SCRIPT, bucket_args(2)),
        "bucket, numbers left to Redis (%.17g), 1 policy": (before, bucket_args(1)),
        "bucket, numbers left to Redis (%.17g), 2 policies": (before, bucket_args(2)),
    }
    found = []
    for name, (script, words) in track(list(commands.items())[:rows], description="callgrind"):
        few, many = (counted(script, words, n) for n in (calls // 3, calls))
        found.append(InstructionRow(name, (many - few) / (calls - calls // 3)))
    return found


def counted(script: str | None, words: list[str], calls: int) -> int:
    """Instructions a fresh redis-server under callgrind executes to serve `calls` of `words`."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        with running(
            [*argv, *redis_server_argv(port)], port=port, name="redis-server", timeout_s=60
        ) as server:
            cli = ["redis-cli", "-p", str(port)]
            command = ["EVALSHA", load(cli, script), *words] if script else words
            # Once by hand first: redis-benchmark would count error replies without a word.
            subprocess.run([*cli, "-e", *command], capture_output=True, check=True)
            bench = ["redis-benchmark", "-p", str(port), "-c", "1", "-n", str(calls), *command]
            subprocess.run(bench, capture_output=True, check=True)
            subprocess.run([*cli, "SHUTDOWN", "NOSAVE"], capture_output=True)
            server.wait(timeout=60)
        summary = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if summary is None:
        raise RuntimeError(f"callgrind wrote no total to {out}")
    return int(summary.group(1))


async def server_cpu_s(client: redis.asyncio.Redis) -> float:
    info = await client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def goals(rows: list[Row]) -> dict[str, float]:
    by = {(row.name, row.tasks): row for row in rows}
    for row in rows:
        floor = by.get(("floor: one GET round trip", row.tasks))
        row.vs_floor = row.per_second / floor.per_second if floor else 0.0
    best_limits_two = max(
        r.per_second
        for r in rows
        if r.tasks == 1 and r.name.startswith("limits") and "2 limits" in r.name
    )
    best_limits_one = max(
        r.per_second
        for r in rows
        if r.tasks == 1 and r.name.startswith("limits") and "1 limit" in r.name
    )
    one, two = "Redis token bucket, 1 policy", "Redis token bucket, 2 policies"
    return {
        "bucket_1_policy_vs_floor (goal >= 0.9)": by[(one, 1)].vs_floor,
        "bucket_1_policy_vs_floor_32_tasks (goal >= 0.9)": by[(one, 32)].vs_floor,
        "bucket_2_policies_vs_floor (goal >= 0.8)": by[(two, 1)].vs_floor,
        "bucket_2_policies_vs_floor_32_tasks (goal >= 0.8)": by[(two, 32)].vs_floor,
        "bucket_1_policy_vs_best_limits_1_limit": by[(one, 1)].per_second / best_limits_one,
        "bucket_2_policies_vs_best_limits_2_limits": by[(two, 1)].per_second / best_limits_two,
        "denied_with_local_cache_vs_floor (goal >= 10)": by[
            ("Redis bucket, denied, local deny cache", 1)
        ].vs_floor,
    }


def report(
    rows: list[Row],
    ratios: dict[str, float],
    redis_version: str,
    cpu_rows: list[CpuRow],
    ceiling: list[CeilingRow],
    instructions: list[InstructionRow],
) -> dict[str, object]:
    console = Console(width=120)
    table = Table(title="rate limiter decisions against one loopback Redis")
    for column in ("scenario", "tasks", "ops", "decisions/s", "p50 µs", "p99 µs", "× floor"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for row in rows:
        table.add_row(
            row.name, str(row.tasks), str(row.ops), f"{row.per_second:,.0f}",
            f"{row.p50_us:,.0f}", f"{row.p99_us:,.0f}", f"{row.vs_floor:.2f}",
        )  # fmt: skip
    console.print(table)
    for goal, value in ratios.items():
        console.print(f"{goal}: [bold]{value:.2f}[/bold]")
    if cpu_rows:
        cpu = Table(title="where the time goes: µs per decision (sequential)")
        for column in ("parser", "scenario", "client CPU", "server CPU", "wall"):
            cpu.add_column(column, justify="left" if column in ("parser", "scenario") else "right")
        for r in cpu_rows:
            cpu.add_row(
                r.parser,
                r.name,
                f"{r.client_cpu_us:.1f}",
                f"{r.server_cpu_us:.1f}",
                f"{r.wall_us:.1f}",
            )
        console.print(cpu)
    print_ceiling(console, ceiling)
    print_instructions(console, instructions)
    return {
        "command": command("rate_limiter_bench"),
        "machine": machine(redis=redis_version, note="loopback Redis on the same machine"),
        "rows": [asdict(row) for row in rows],
        "ratios": ratios,
        "profile": [asdict(row) for row in cpu_rows],
        "c_client_ceiling": [asdict(row) for row in ceiling],
        "server_instructions": [asdict(row) for row in instructions],
    }


def print_ceiling(console: Console, ceiling: list[CeilingRow]) -> None:
    if len(ceiling) < 2:
        return
    table = Table(title="the server's share: one connection from redis-benchmark (a C client)")
    for column in ("scenario", "requests/s", "p50 µs", "inside Redis µs"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in ceiling:
        table.add_row(r.name, f"{r.per_second:,.0f}", f"{r.p50_us:.0f}", f"{r.in_command_us:.2f}")
    console.print(table)
    floor, script = ceiling[:2]
    console.print(
        f"script ÷ GET with a C client: [bold]{script.per_second / floor.per_second:.2f}×[/bold]"
        f" per second; the script adds {script.in_command_us - floor.in_command_us:.1f} µs inside"
        " Redis, which no client can take away"
    )
    if len(ceiling) == 4:
        empty, four = ceiling[2:]
        console.print(
            f"inside Redis: running a script at all {empty.in_command_us:.1f} µs, the four commands a"
            f" bucket needs {four.in_command_us:.1f} µs, the bucket's arithmetic and reply the other"
            f" {script.in_command_us - four.in_command_us:.1f} µs"
        )


def print_instructions(console: Console, rows: list[InstructionRow]) -> None:
    if not rows:
        return
    table = Table(title="inside redis-server: instructions per call (callgrind, deterministic)")
    for column in ("command", "instructions", "× GET"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for r in rows:
        table.add_row(r.name, f"{r.per_call:,.0f}", f"{r.per_call / rows[0].per_call:.1f}")
    console.print(table)


async def redis_version(redis_url: str) -> str:
    probe = redis.asyncio.Redis.from_url(redis_url)
    try:
        return str((await probe.info("server"))["redis_version"])
    finally:
        await probe.aclose()


def main(
    seconds: float, max_ops: int, rounds: int, own_redis: bool, with_profile: bool, quick: bool
) -> None:
    with ExitStack() as stack:
        if own_redis:  # a throwaway redis-server: no other clients' traffic in the figures
            port = free_port()
            stack.enter_context(running(redis_server_argv(port), port=port, name="redis-server"))
            redis_url = f"redis://127.0.0.1:{port}/0"
        else:
            redis_url = stack.enter_context(services_for_demo()).redis_url
        version = asyncio.run(redis_version(redis_url))
        rows, ratios = asyncio.run(run(redis_url, seconds, max_ops, rounds))
        cpu_rows = asyncio.run(profile(redis_url, max_ops // 10)) if with_profile else []
        ceiling = c_client_ceiling(redis_url, max_ops) if with_profile else []
    # The smoke pass counts one command, so that the callgrind path is run on every CI build.
    instructions = server_instructions() if with_profile else server_instructions(30, rows=1)
    results = report(rows, ratios, version, cpu_rows, ceiling, instructions)
    path = write_results("rate_limiter", results, quick)
    print(f"wrote {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rate_limiter_bench")
    parser.add_argument("--seconds", type=float, default=1.5, help="per scenario (default 1.5)")
    parser.add_argument("--max-ops", type=int, default=20_000, help="per scenario (default 20000)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns each scenario takes (default 5)"
    )
    parser.add_argument(
        "--own-redis", action="store_true", help="start a private redis-server instead of REDIS_URL"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also measure CPU per decision, client and server"
    )
    add_quick(parser)
    arguments = parser.parse_args()
    if arguments.quick:  # every scenario still runs, each for a moment
        arguments.seconds, arguments.max_ops, arguments.rounds = 0.05, 200, 1
    if arguments.seconds <= 0 or arguments.rounds < 1 or arguments.max_ops < 100 * arguments.rounds:
        parser.error("--seconds and --rounds must be positive, --max-ops at least 100 per round")
    if arguments.own_redis and not redis_server_available():
        parser.error("--own-redis needs the redis-server binary on PATH")
    main(
        arguments.seconds,
        arguments.max_ops,
        arguments.rounds,
        arguments.own_redis,
        arguments.profile,
        arguments.quick,
    )
