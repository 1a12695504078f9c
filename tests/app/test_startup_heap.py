"""The mini Twilio's startup freezes its heap as the twins' does, and its shutdown thaws it."""

import gc

from app.main import create_app
from backing_services import Settings


async def test_the_mini_twilios_lifespan_freezes_the_startup_heap_and_thaws_it_at_shutdown(
    redis_url: str, migrated_database_url: str, unfrozen_heap: None
) -> None:
    # Rule: the app serves the twins' GraphQL, whose p95 tail was full collections walking the
    # startup heap; the app must not bring that tail back.
    app = create_app(Settings(redis_url=redis_url, database_url=migrated_database_url))

    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()

    assert frozen > 10_000
    assert gc.get_freeze_count() == 0
