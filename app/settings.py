"""Where the composed app listens; the services it uses come from `backing_services`."""

from pydantic_settings import BaseSettings


class AppSettings(BaseSettings):
    host: str = "127.0.0.1"
    port: int = 8000
