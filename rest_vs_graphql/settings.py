"""What can a client ask of each twin? The limits both APIs enforce, in one settings class."""

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class TwinSettings(BaseSettings):
    """Environment variables `REST_VS_GRAPHQL_<FIELD>`; the defaults are safe for production."""

    model_config = SettingsConfigDict(env_prefix="REST_VS_GRAPHQL_", extra="ignore")

    # Introspection and the GraphiQL page are development conveniences, off in production.
    environment: Literal["development", "production"] = "production"
    default_page_size: int = 50
    max_page_size: int = 100
    # Account data changes (a worker moves message status along), so caches must revalidate.
    cache_control: str = "private, no-cache"
    max_query_depth: int = 6
    max_query_tokens: int = 1000
    max_query_aliases: int = 15


@lru_cache
def get_twin_settings() -> TwinSettings:
    return TwinSettings()
