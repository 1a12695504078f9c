"""Alembic's entry point: one transaction per revision, so a safe revision never holds another's locks."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from backing_services import sqlalchemy_sync_url
from migrations_demo.alembic_runner import default_database_url

config = context.config


def report_applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    on_event = config.attributes.get("on_event")
    if on_event is not None:
        verb = "applied" if step.is_upgrade else "reverted"
        on_event(f"{verb} {step.up_revision_id}")


def run_offline() -> None:
    # `alembic upgrade --sql` needs no server: the SQL goes to stdout (and to squawk).
    context.configure(
        dialect_name="postgresql",
        literal_binds=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = config.attributes.get("database_url") or default_database_url()
    application_name = config.attributes.get("application_name", "migrations_demo")
    engine = create_engine(
        sqlalchemy_sync_url(url),
        poolclass=NullPool,
        connect_args={"application_name": application_name},
    )
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                transaction_per_migration=True,
                on_version_apply=report_applied,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
