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
    """`postgresql://u@h/db` → the URL SQLAlchemy's engines need (psycopg 3)."""
    return _with_psycopg(url).render_as_string(hide_password=False)


# psycopg 3 serves sync (Alembic) and async engines from the same URL; the second name says which
# engine a caller builds, so it reads right at the call site.
sqlalchemy_sync_url = sqlalchemy_async_url


def libpq_url(url: str) -> str:
    """The URL without a SQLAlchemy driver suffix, for psycopg.connect() and psql."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
