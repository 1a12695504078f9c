"""Find Redis and PostgreSQL: environment first, then Docker via testcontainers, else say how.

The two ways are the README's two ways; nothing else is guessed.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg
from sqlalchemy.engine import make_url

from backing_services.settings import Settings, get_settings
from backing_services.urls import libpq_url

HOW_TO_PROVIDE = (
    "start Docker (tests and demos then start throwaway containers), "
    "or set REDIS_URL and DATABASE_URL to running servers, "
    "e.g. REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
)


class ServiceUnavailable(RuntimeError):
    """A backing service is missing or not answering; the message is one line a person can act on."""


@dataclass(frozen=True)
class ServiceURLs:
    redis_url: str
    database_url: str


def check_reachable(name: str, url: str, timeout_s: float) -> None:
    """Open (and close) a TCP connection to the URL's host and port, or raise ServiceUnavailable."""
    parts = urlsplit(url)
    default_port = 6379 if name == "Redis" else 5432
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as error:
        env = "REDIS_URL" if name == "Redis" else "DATABASE_URL"
        raise ServiceUnavailable(
            f"{name} is not answering at {host}:{port} ({env}): {error.strerror or error}. "
            f"Start it, or unset {env} to use Docker."
        ) from None


def check_database_exists(url: str, timeout_s: float) -> None:
    """Log in to the named database: a server that answers but lacks it is one line, not a traceback."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=max(1, math.ceil(timeout_s))):
            pass
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0]
        raise (
            login_refused(url, error)
            or ServiceUnavailable(f"PostgreSQL did not answer (DATABASE_URL): {first_line}")
        ) from None


def login_refused(
    url: str, error: psycopg.OperationalError, source: str = "DATABASE_URL"
) -> ServiceUnavailable | None:
    """The one line for a server that answered and refused the login; None if nothing answered.

    `source` names where the URL came from (the variable or a flag), for the message.
    """
    message = str(error).strip()
    if "FATAL:" not in message:
        return None
    parsed = make_url(libpq_url(url))
    where = f"{parsed.host or '127.0.0.1'}:{parsed.port or 5432}"
    # libpq reports the server's FATAL line last; no SQLSTATE reaches us before login.
    reason = message.splitlines()[-1].split("FATAL:")[-1].strip()
    if f'database "{parsed.database}" does not exist' in reason:
        return ServiceUnavailable(
            f'PostgreSQL at {where} has no database "{parsed.database}" ({source}): '
            f"create it (createdb -h {parsed.host} -p {parsed.port or 5432} "
            f"-U {parsed.username or 'postgres'} {parsed.database}) or name one that exists."
        )
    return ServiceUnavailable(f"PostgreSQL at {where} refused us ({source}): {reason}.")


def docker_answers(timeout_s: float = 2.0) -> bool:
    try:
        import docker  # testcontainers' own dependency

        client = docker.from_env(timeout=int(max(timeout_s, 1)))
        client.ping()
        return True
    except Exception:  # no client library, no socket, no engine: all mean "no Docker"
        return False


def resolve_services(stack: ExitStack, settings: Settings | None = None) -> ServiceURLs:
    """Return URLs for Redis and PostgreSQL, starting containers on `stack` when needed.

    Containers started here stop when `stack` closes.
    """
    settings = settings or get_settings()
    redis_url, database_url = settings.redis_url, settings.database_url
    if redis_url is None or database_url is None:
        if not docker_answers(settings.service_connect_timeout_s):
            missing = " and ".join(
                env
                for env, value in (("REDIS_URL", redis_url), ("DATABASE_URL", database_url))
                if value is None
            )
            raise ServiceUnavailable(
                f"{missing} not set and no Docker engine answers: {HOW_TO_PROVIDE}"
            )
        if redis_url is None:
            redis_url = _start_redis_container(stack)
        if database_url is None:
            database_url = _start_postgres_container(stack)
    check_reachable("Redis", redis_url, settings.service_connect_timeout_s)
    check_reachable("PostgreSQL", database_url, settings.service_connect_timeout_s)
    check_database_exists(database_url, settings.service_connect_timeout_s)
    return ServiceURLs(redis_url=redis_url, database_url=database_url)


def _start_redis_container(stack: ExitStack) -> str:
    try:  # testcontainers ≥ 4.14 keeps its modules under `community`; older ones at the top
        from testcontainers.community.redis import RedisContainer
    except ImportError:
        from testcontainers.redis import RedisContainer

    container = stack.enter_context(RedisContainer("redis:7-alpine"))
    host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
    return f"redis://{host}:{port}/0"


def _start_postgres_container(stack: ExitStack) -> str:
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        from testcontainers.postgres import PostgresContainer

    container = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
    return str(container.get_connection_url())


@contextmanager
def services_for_demo() -> Iterator[ServiceURLs]:
    """Resolve the services for a `python -m <package>` demo, or exit with one line saying why not."""
    with ExitStack() as stack:
        try:
            urls = resolve_services(stack)
        except ServiceUnavailable as error:
            raise SystemExit(f"cannot run the demo: {error}") from None
        yield urls
