"""The composed app's own knobs: where it listens and how fast one account may send."""

from pydantic import Field
from pydantic_settings import BaseSettings


class AppSettings(BaseSettings):
    """Environment variables are the field names in capitals (HOST, PORT, SEND_BURST, API_DOCS, ...)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Per account: a burst of `send_burst` messages, refilled at `send_per_second`,
    # and at most `send_per_hour` in any hour; both are checked in one Redis round trip.
    send_burst: int = Field(default=10, ge=1)
    send_per_second: float = Field(default=1.0, gt=0)
    send_per_hour: int = Field(default=1000, ge=1)
    # Swagger UI at /docs and the OpenAPI document at /openapi.json. Unset: on in development,
    # off in production, where a published map of every route helps attackers more than users.
    api_docs: bool | None = None

    def docs_enabled(self, environment: str) -> bool:
        return self.api_docs if self.api_docs is not None else environment != "production"
