"""Hosting platforms hand out plain `postgresql://` URLs; the driver is chosen here, in code."""

from sqlalchemy.engine import URL, make_url

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}


def _with_psycopg(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername not in _POSTGRES_SCHEMES:
        raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}:// (expected postgresql://)")
    # psycopg 3 serves both the sync engine (Alembic) and the async one (the apps).
    return parsed.set(drivername="postgresql+psycopg")


def sqlalchemy_async_url(url: str) -> str:
    """`postgresql://u@h/db` → the URL SQLAlchemy's async engine needs (psycopg 3, async mode)."""
    return _with_psycopg(url).render_as_string(hide_password=False)


def sqlalchemy_sync_url(url: str) -> str:
    """The same URL for a sync engine; psycopg 3 picks sync or async by the engine that uses it."""
    return _with_psycopg(url).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL without a SQLAlchemy driver suffix, for psycopg.connect() and psql."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
