"""Run the Alembic project from Python: tests, the demo and the CLI all come through here.

The caller's URL (with its schema in `search_path`) travels in `Config.attributes`, never in a file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql

from backing_services import get_settings
from backing_services.schemas import url_with_schema
from backing_services.urls import libpq_url
from migrations_demo.settings import MigrationSettings

PACKAGE_DIR = Path(__file__).parent
BASELINE = "0001_baseline"
NAIVE_HEAD = "naive@head"
SAFE_HEAD = "safe@head"

EventSink = Callable[[str], None]


def default_database_url(settings: MigrationSettings | None = None) -> str:
    """DATABASE_URL from backing_services, in the demo schema (created if missing, never dropped)."""
    database_url = get_settings().database_url
    if database_url is None:
        raise RuntimeError("DATABASE_URL is not set: point it at a PostgreSQL server")
    schema = (settings or MigrationSettings()).demo_schema
    with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    return url_with_schema(database_url, schema)


def alembic_config(
    database_url: str | None = None,
    *,
    settings: MigrationSettings | None = None,
    on_event: EventSink | None = None,
    on_commit: EventSink | None = None,
    application_name: str = "migrations_demo",
    output: io.StringIO | None = None,
) -> Config:
    """`on_commit` hears of every step a safe revision commits, before the revision is stamped."""
    config = Config(str(PACKAGE_DIR / "alembic.ini"), output_buffer=output)
    config.attributes.update(
        database_url=database_url,
        settings=settings or MigrationSettings(),
        on_event=on_event,
        on_commit=on_commit,
        application_name=application_name,
    )
    return config


def upgrade(
    database_url: str,
    target: str,
    *,
    settings: MigrationSettings | None = None,
    on_event: EventSink | None = None,
    on_commit: EventSink | None = None,
    application_name: str = "migrations_demo",
) -> None:
    config = alembic_config(
        database_url,
        settings=settings,
        on_event=on_event,
        on_commit=on_commit,
        application_name=application_name,
    )
    command.upgrade(config, target)


def downgrade(
    database_url: str,
    target: str,
    *,
    settings: MigrationSettings | None = None,
    on_commit: EventSink | None = None,
) -> None:
    command.downgrade(alembic_config(database_url, settings=settings, on_commit=on_commit), target)


def current_revisions(database_url: str) -> set[str]:
    """What `alembic_version` says, read straight from the table in the URL's schema."""
    with psycopg.connect(libpq_url(database_url)) as connection:
        exists = connection.execute("SELECT to_regclass('alembic_version')").fetchone()
        if exists is None or exists[0] is None:
            return set()
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    return {row[0] for row in rows}


def offline_sql(start: str, end: str) -> str:
    """`alembic upgrade start:end --sql`: the SQL a revision range would run, for review and squawk."""
    output = io.StringIO()
    command.upgrade(alembic_config(output=output), f"{start}:{end}", sql=True)
    return output.getvalue()
