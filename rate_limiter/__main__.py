"""`python -m rate_limiter`: bursts at a Redis token bucket, step by step, then the three algorithms
compared on one bursty input (printed, and plotted to a PNG)."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from redis.exceptions import RedisError

from backing_services.plotting import SKIPPED, can_plot
from backing_services.resolve import services_for_demo
from rate_limiter.comparison import bursty_arrivals, compare
from rate_limiter.decision import Policy
from rate_limiter.redis_token_bucket import RedisTokenBucket
from rate_limiter.settings import RateLimiterSettings, limiter_redis

PREFIX = "demo_rate_limiter"


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def whole(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text}")
    return value


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rate_limiter", description=__doc__)
    parser.add_argument("--capacity", type=positive, default=5, help="bucket size (default 5)")
    parser.add_argument("--rate", type=positive, default=2, help="tokens per second (default 2)")
    parser.add_argument("--bursts", type=whole, default=3, help="how many bursts (default 3)")
    parser.add_argument(
        "--burst-size", type=whole, default=8, help="requests per burst (default 8)"
    )
    parser.add_argument(
        "--gap", type=positive, default=1.0, help="seconds between bursts (default 1)"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path("out/rate_limiter/algorithms.png"),
        help="where to write the PNG",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    return parser.parse_args()


async def redis_timeline(redis_url: str, args: argparse.Namespace) -> None:
    settings = RateLimiterSettings()
    client = limiter_redis(redis_url, settings)
    one = RedisTokenBucket(client, args.capacity, args.rate, PREFIX, name="burst")
    other = RedisTokenBucket(client, args.capacity, args.rate, PREFIX, name="burst")
    print(f"1. A token bucket in Redis: {args.capacity:g} tokens, refilled at {args.rate:g}/s.")
    print(
        f"   {args.bursts} bursts of {args.burst_size} requests, {args.gap:g} s apart, alternating"
    )
    print("   between two app instances (two limiter objects) that share the bucket through Redis.")
    try:
        await client.delete(*one.keys_for("caller"))
        started = time.monotonic()
        for burst in range(args.bursts):
            if burst:
                await asyncio.sleep(args.gap)  # the demo's traffic pattern, not synchronisation
            for n in range(args.burst_size):
                instance, name = (one, "A") if n % 2 == 0 else (other, "B")
                d = await instance.acquire("caller")
                verdict = "allowed" if d.allowed else f"denied, retry in {d.retry_after_s:.2f} s"
                print(
                    f"   t={time.monotonic() - started:5.2f} s  instance {name}  "
                    f"{verdict:<26} tokens left {d.remaining:5.2f}"
                )
        print("   Denied calls took nothing; each burst gets what refilled since the last.")

        heavy = await one.acquire("bulk-sender", cost=min(args.capacity, 3))
        print(
            f"\n2. Weighted cost: one call of cost {min(args.capacity, 3):g} leaves "
            f"{heavy.remaining:.2f} tokens."
        )
        two_limits = RedisTokenBucket(
            client, 5, 50, PREFIX, name="burst", extra_policies=[Policy("hourly", 8, 8 / 3600)]
        )
        await client.delete(*two_limits.keys_for("api-user"))
        verdicts = []
        for _ in range(10):
            verdicts.append(await two_limits.acquire_all("api-user"))
            await asyncio.sleep(0.1)  # spaced calls: the burst policy always has room again
        ninth = {d.policy: d for d in verdicts[8]}
        print(
            "3. Two policies in one round trip (burst 5 at 50/s, hourly 8): 10 calls 0.1 s apart "
            f"give {sum(all(d.allowed for d in v) for v in verdicts)} allowed; the 9th is denied "
            f"by 'hourly' (retry in {ninth['hourly'].retry_after_s:.0f} s) although 'burst' had "
            f"{ninth['burst'].remaining:.0f} tokens, and took none of them."
        )
        ttl_ms = await client.pttl(one.keys_for("caller")[0])
        print(f"4. The caller's bucket expires in {ttl_ms} ms, when it would be full again anyway.")
        await client.delete(
            *one.keys_for("caller"), *one.keys_for("bulk-sender"), *two_limits.keys_for("api-user")
        )
    except (RedisError, OSError) as error:
        raise SystemExit(f"cannot run the demo: Redis stopped answering ({error})") from None
    finally:
        await client.aclose()


def algorithm_comparison(args: argparse.Namespace) -> None:
    arrivals = bursty_arrivals()
    runs = compare(arrivals)
    print(f"\n5. The same {len(arrivals)} bursty requests through three limiters of 10 per second:")
    for run in runs:
        print(
            f"   {run.name:<34} admitted {sum(d.allowed for d in run.decisions):>2}; "
            f"at most {run.most_admitted_within(0.1):>2} within 100 ms, "
            f"{run.most_admitted_within(1.0):>2} within 1 s"
        )
    print("   The fixed window lets 20 through in 100 ms around its boundary: twice its limit.")
    if args.no_plot:
        return
    if not can_plot():
        print(f"   {SKIPPED}")
        return
    from rate_limiter.plot import plot_runs  # matplotlib is slow to import; only when asked

    plot_runs(runs, args.plot)
    print(f"   Plot written to {args.plot}")


def main() -> None:
    args = parse_args()
    with services_for_demo() as services:
        asyncio.run(redis_timeline(services.redis_url, args))
    algorithm_comparison(args)


if __name__ == "__main__":
    main()
