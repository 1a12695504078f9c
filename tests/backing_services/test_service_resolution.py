"""The services come from the environment, from Docker, or the run stops with one line saying how."""

from __future__ import annotations

import subprocess
import sys
import uuid
from contextlib import ExitStack

import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

from backing_services import ServiceUnavailable, Settings, resolve_services
from backing_services.local_processes import free_port
from backing_services.resolve import ServiceURLs
from backing_services.urls import libpq_url, sqlalchemy_async_url


def test_plain_postgresql_urls_get_the_psycopg_driver() -> None:
    assert sqlalchemy_async_url("postgresql://u:p@h:5/db") == "postgresql+psycopg://u:p@h:5/db"
    assert sqlalchemy_async_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_driver_suffix_is_removed_for_libpq() -> None:
    assert libpq_url("postgresql+psycopg://u@h/db") == "postgresql://u@h/db"


def test_a_non_postgres_url_is_refused_with_its_scheme_named() -> None:
    with pytest.raises(
        ValueError, match=r"not a PostgreSQL URL: mysql:// \(expected postgresql://\)"
    ):
        sqlalchemy_async_url("mysql://u@h/db")


def test_a_closed_redis_port_fails_fast_with_one_actionable_line() -> None:
    closed = free_port()
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{closed}/0",
        database_url="postgresql://postgres@127.0.0.1:5432/test",
        service_connect_timeout_s=0.5,
    )

    with ExitStack() as stack, pytest.raises(ServiceUnavailable) as raised:
        resolve_services(stack, settings)

    message = str(raised.value)
    assert message.startswith(f"Redis is not answering at 127.0.0.1:{closed} (REDIS_URL)")
    assert message.endswith("Start it, or unset REDIS_URL to use Docker.")
    assert "\n" not in message


def test_a_demo_with_redis_on_a_closed_port_exits_with_that_line_and_no_traceback() -> None:
    closed = free_port()
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
        "PATH": "/usr/bin:/bin",
    }
    code = "from backing_services.resolve import services_for_demo\nwith services_for_demo(): pass"

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 1
    assert result.stderr.startswith("cannot run the demo: Redis is not answering at 127.0.0.1:")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_each_test_gets_an_empty_redis_database_of_its_own(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)

    assert client.dbsize() == 0
    client.set("left-behind", "1")  # the next test's flush must remove this
    assert redis_url.endswith("/1")


def test_each_test_gets_a_fresh_postgres_schema_first_on_its_search_path(database_url: str) -> None:
    with psycopg.connect(database_url) as connection:
        schema = connection.execute("SELECT current_schema()").fetchone()
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()

    assert schema is not None and schema[0].startswith("t_backing_services_")
    assert tables == (0,)


def url_without_its_database(service_urls: ServiceURLs) -> tuple[str, str]:
    """The test server's URL naming a database that does not exist, and that name."""
    missing = f"no_such_db_{uuid.uuid4().hex[:8]}"
    url = make_url(service_urls.database_url).set(database=missing)
    return url.render_as_string(hide_password=False), missing


def test_a_postgres_without_the_named_database_is_one_line_saying_how_to_create_it(
    service_urls: ServiceURLs, redis_url: str
) -> None:
    # Rule: the server answers, so the TCP check passes; logging in to the database is what fails,
    # and that failure names the database and the command that creates it.
    database_url, missing = url_without_its_database(service_urls)
    settings = Settings(redis_url=redis_url, database_url=database_url)

    with ExitStack() as stack, pytest.raises(ServiceUnavailable) as raised:
        resolve_services(stack, settings)

    message = str(raised.value)
    assert f'has no database "{missing}" (DATABASE_URL): create it (createdb -h ' in message
    assert message.endswith(f"{missing}) or name one that exists.")
    assert "\n" not in message


def test_a_demo_against_a_postgres_without_its_database_exits_with_that_line_and_no_traceback(
    service_urls: ServiceURLs, redis_url: str
) -> None:
    database_url, missing = url_without_its_database(service_urls)
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    code = "from backing_services.resolve import services_for_demo\nwith services_for_demo(): pass"

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 1
    assert result.stderr.startswith("cannot run the demo: PostgreSQL at ")
    assert f'has no database "{missing}"' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
