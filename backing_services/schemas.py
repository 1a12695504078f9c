"""A schema of one's own: tests, demos and benchmarks each work in a schema named on the URL.

The URL carries `options=-csearch_path=<schema>`, so every driver, Alembic and psql honour it.
"""

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from backing_services.urls import libpq_url


def url_with_schema(database_url: str, schema: str) -> str:
    """The same database, with `schema` first on the search path of every connection."""
    url = make_url(libpq_url(database_url)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    return url.render_as_string(hide_password=False)


def recreate_schema(database_url: str, schema: str) -> str:
    """Drop `schema` if it exists, create it empty, and return a URL that uses it."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
        admin.execute("SET lock_timeout = '10s'")
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return url_with_schema(database_url, schema)


def drop_schema(database_url: str, schema: str) -> None:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
        admin.execute("SET lock_timeout = '10s'")
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
