"""Why was the inbox's p95 six times its p50? Full garbage collections walking the whole startup heap.

A large screen allocates enough container objects to trigger CPython's oldest-generation collection every
few dozen requests, and that collection traverses every object alive — ~146,000 of them after the
imports, the schema and the mappers are built — while the request waits. None of those objects ever
becomes garbage, so startup ends with `gc.freeze()`: they move to the permanent generation, and later
collections traverse only what requests allocate. `gc.freeze` (Python 3.7, bpo-31558) was added for forking
servers "or to speed up collection": https://docs.python.org/3/library/gc.html#gc.freeze
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI


def freeze_startup_heap() -> int:
    """Collect startup's garbage, then exempt every surviving object from later collections."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@asynccontextmanager
async def freeze_heap_on_startup(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: by the time a server sends startup, the app and its schema are built.

    Shutdown unfreezes, so an app started inside a longer-lived process (a test run, a benchmark)
    leaves the collector as it found it.
    """
    freeze_startup_heap()
    try:
        yield
    finally:
        gc.unfreeze()
