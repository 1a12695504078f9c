"""Before `python -m app` serves: both services answer and the schema is in place, or one line says why.

The schema is not created here on purpose: several api instances starting at once would race to
create it, so creating it is the one-shot `python -m app.migrate` step (compose runs it first).
"""

from __future__ import annotations

from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from api_security.api_keys import Base as ApiKeysBase
from auth.models import metadata as auth_metadata
from backing_services import ServiceUnavailable, Settings, sqlalchemy_sync_url
from backing_services.resolve import check_reachable
from rest_vs_graphql.models import Base as TwinBase

QUEUE_TABLES = frozenset({"outbox", "inbox", "deliveries"})
EXAMPLE = (
    "REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
)


def required_tables() -> frozenset[str]:
    owned = (*auth_metadata.tables, *ApiKeysBase.metadata.tables, *TwinBase.metadata.tables)
    return frozenset(owned) | QUEUE_TABLES


def missing_tables(database_url: str) -> list[str]:
    engine = create_engine(sqlalchemy_sync_url(database_url))
    try:
        present = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return sorted(required_tables() - present)


def preflight(settings: Settings) -> None:
    """Raise SystemExit with one line naming what is missing and the command that fixes it."""
    if settings.redis_url is None or settings.database_url is None:
        raise SystemExit(f"app: set REDIS_URL and DATABASE_URL first, e.g. {EXAMPLE}")
    try:
        check_reachable("Redis", settings.redis_url, settings.service_connect_timeout_s)
        check_reachable("PostgreSQL", settings.database_url, settings.service_connect_timeout_s)
        missing = missing_tables(settings.database_url)
    except ServiceUnavailable as error:
        raise SystemExit(f"app: {error}") from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise SystemExit(f"app: cannot read the database at DATABASE_URL: {reason}") from None
    if missing:
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        raise SystemExit(
            f"app: the database has no mini Twilio tables yet (missing {shown}): "
            "run `python -m app.migrate` first"
        )
