"""How tests keep out of each other's way: each package owns a Redis database index.

The fixtures in `conftest.py` and module-scoped fixtures elsewhere both get their slice here.
"""

import redis
from sqlalchemy.engine import make_url

PACKAGES = (
    "backing_services", "app", "rate_limiter", "rest_vs_graphql", "migrations_demo",
    "cap_theorem", "auth", "error_handling", "scaling", "microservices", "api_security",
    "queue_demo",
)  # fmt: skip
UNLISTED_INDEX = 15


def flushed_redis_url(base_url: str, package: str) -> str:
    """`base_url` pointed at `package`'s own database index, emptied first.

    Index 0 is left to people's own use; each package's tests get their own index, so two
    packages' tests (or two developers' runs of different packages) never flush each other's keys.
    """
    index = PACKAGES.index(package) + 1 if package in PACKAGES else UNLISTED_INDEX
    url = make_url(base_url).set(database=str(index)).render_as_string(hide_password=False)
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()
    return url
