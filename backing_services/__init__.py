"""Where Redis and PostgreSQL come from: one settings object, one resolver, one clear failure.

Every package, test and demo asks here instead of reading the environment itself.
"""

from backing_services.resolve import ServiceUnavailable, resolve_services
from backing_services.settings import Settings, get_settings
from backing_services.urls import sqlalchemy_async_url, sqlalchemy_sync_url

__all__ = [
    "ServiceUnavailable",
    "Settings",
    "get_settings",
    "resolve_services",
    "sqlalchemy_async_url",
    "sqlalchemy_sync_url",
]
