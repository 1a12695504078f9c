"""The twins' startup freezes the heap it built, so a full collection no longer walks it mid-request."""

import gc

from fastapi import FastAPI


async def test_the_apps_startup_moves_the_startup_heap_out_of_reach_of_full_collections(
    app: FastAPI, unfrozen_heap: None
) -> None:
    # Rule: the inbox's p95 tail was the oldest-generation collection traversing ~146k startup objects.
    assert gc.get_freeze_count() == 0

    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        still_tracked = len(gc.get_objects())

    # The imports, schema and mappers alone are tens of thousands of objects; a full collection now
    # traverses only what was allocated since startup.
    assert frozen > 10_000
    assert still_tracked < frozen / 10


async def test_the_apps_shutdown_leaves_the_collector_as_it_found_it(
    app: FastAPI, unfrozen_heap: None
) -> None:
    # Rule: a test run or a benchmark that starts the app does not keep its heap frozen afterwards.
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0

    assert gc.get_freeze_count() == 0
