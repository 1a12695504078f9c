"""Exactness under real concurrency: 4 processes × 50 concurrent acquires on one key of 20."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from tests.rate_limiter.exactness_worker import CONCURRENCY, admitted_per_trial

PROCESSES = 4
TRIALS = [(f"trial-{n}", n % 2 == 0) for n in range(6)]  # with and without the local deny cache


def test_four_processes_racing_on_one_key_admit_exactly_its_capacity(redis_url: str) -> None:
    # Rule: 200 simultaneous requests against capacity 20 (no refill to speak of) admit exactly
    # 20, in every trial: the Lua script is atomic, and the local deny cache only ever denies.
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        barrier = manager.Barrier(PROCESSES)
        futures = [
            pool.submit(admitted_per_trial, redis_url, TRIALS, barrier) for _ in range(PROCESSES)
        ]
        per_process = [future.result(timeout=120) for future in futures]

    totals = [sum(trial) for trial in zip(*per_process, strict=True)]

    assert PROCESSES * CONCURRENCY == 200
    assert totals == [20] * len(TRIALS)
