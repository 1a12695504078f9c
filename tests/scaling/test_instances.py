"""Real app processes: nginx spreads requests, state in memory breaks with N instances, Redis does not.

Each test starts its own uvicorn processes (and nginx) on free loopback ports and stops them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from scaling.instances import Instance, app_instances
from scaling.load import run_load
from scaling.load_balancer import nginx_in_front_of
from scaling.shared_state import limiter_across_instances, sessions_across_instances
from scaling.target_app import Store

LIMIT = 5
needs_nginx = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)"
)


@pytest.fixture(scope="module")
def two_instances(module_services: dict[str, str]) -> Iterator[list[Instance]]:
    """Two instances for the whole module; each test uses its own client and session names."""
    settings = {"SCALING_LIMIT_CAPACITY": str(LIMIT), "SCALING_IO_DEFAULT_WAIT_MS": "100"}
    with app_instances(2, services=module_services, settings=settings) as instances:
        yield instances


@pytest.fixture(scope="module")
def balancer(two_instances: list[Instance]) -> Iterator[str]:
    with nginx_in_front_of(two_instances) as url:
        yield url


@needs_nginx
async def test_nginx_spreads_requests_evenly_over_the_instances(balancer: str) -> None:
    # Rule: round robin sends request k to instance k mod N, so 20 requests split 10 / 10.
    result = await run_load([balancer], "/whoami", requests=20, concurrency=1, max_seconds=30)

    assert result.completed == 20
    assert result.statuses == {200: 20}
    assert sorted(result.instances.values()) == [10, 10]
    assert all(name.startswith(("app-0/", "app-1/")) for name in result.instances)


@needs_nginx
async def test_in_memory_limiter_behind_two_instances_admits_twice_the_limit(balancer: str) -> None:
    # Rule: each instance keeps its own bucket, so one client gets the limit from each of them.
    outcome = await limiter_across_instances(
        [balancer], Store.memory, client="alice", limit=LIMIT, instances=2, sent=4 * LIMIT
    )

    assert outcome.admitted >= 2 * LIMIT
    assert outcome.admitted == 2 * LIMIT  # round robin: each bucket is drained exactly
    assert sorted(outcome.admitted_by.values()) == [LIMIT, LIMIT]


@needs_nginx
async def test_redis_limiter_behind_two_instances_admits_exactly_the_limit(balancer: str) -> None:
    # Rule: one bucket in Redis for all instances: the client gets the limit, once, in total.
    outcome = await limiter_across_instances(
        [balancer], Store.redis, client="bob", limit=LIMIT, instances=2, sent=4 * LIMIT
    )

    assert outcome.admitted == LIMIT
    assert outcome.sent == 4 * LIMIT


@needs_nginx
async def test_an_in_memory_session_is_lost_on_the_other_instance(balancer: str) -> None:
    # Rule: a session stored in one instance's memory is found only when that instance answers:
    # behind round robin, on half of the reads. In Redis it is found on every read.
    memory = await sessions_across_instances(
        [balancer], Store.memory, session_id="s-memory", instances=2, reads=10
    )
    shared = await sessions_across_instances(
        [balancer], Store.redis, session_id="s-redis", instances=2, reads=10
    )

    assert memory.found == 5
    assert shared.found == 10


async def test_without_a_balancer_client_side_round_robin_shows_the_same_limiter_gap(
    two_instances: list[Instance],
) -> None:
    # Rule: the gap comes from where state lives, not from nginx: the client alternating between
    # instances itself sees 2 × the limit in memory and exactly the limit in Redis.
    urls = [instance.url for instance in two_instances]

    memory = await limiter_across_instances(
        urls, Store.memory, client="carol", limit=LIMIT, instances=2, sent=4 * LIMIT
    )
    shared = await limiter_across_instances(
        urls, Store.redis, client="carol", limit=LIMIT, instances=2, sent=4 * LIMIT
    )

    assert memory.admitted == 2 * LIMIT
    assert shared.admitted == LIMIT


async def test_the_load_generator_stops_at_its_deadline(two_instances: list[Instance]) -> None:
    # Rule: load is bounded in time as well as count: 2 tasks on 100 ms queries for 0.5 s cannot
    # finish 1000 requests, and the run ends anyway.
    result = await run_load(
        [two_instances[0].url], "/io", requests=1000, concurrency=2, max_seconds=0.5
    )

    assert 0 < result.completed < 1000
    assert result.statuses == {200: result.completed}
