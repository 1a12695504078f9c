"""The customer's side of a status callback: check the Twilio-style signature, keep what arrived.

`python -m app.webhook_receiver` serves POST /status-callbacks (signed, replay-guarded) and GET to list them.
"""

# No `from __future__ import annotations`: FastAPI must see `Depends(verified)`, a local, as an object.

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import redis.asyncio
import structlog
import uvicorn
from fastapi import Depends, FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api_security import SignedWebhook, WebhookVerifier, get_security_settings, install_security
from app.settings import AppSettings
from backing_services import get_settings
from error_handling import install_error_handling

RECEIVED_KEY = "mini-twilio:callbacks-received"
log = structlog.get_logger("app.webhook_receiver")


class ReceiverSettings(BaseSettings):
    """The receiver is another party's server: its own host names and body limit (WEBHOOK_RECEIVER_*)."""

    model_config = SettingsConfigDict(env_prefix="WEBHOOK_RECEIVER_", extra="ignore")

    allowed_hosts: list[str] = ["localhost", "127.0.0.1"]
    # A status callback is four short form fields; anything near this size is not one.
    max_body_bytes: int = Field(default=16 * 1024, ge=1)


def create_receiver(redis_url: str, receiver: ReceiverSettings | None = None) -> FastAPI:
    receiver = receiver or ReceiverSettings()
    # The signing secret, trusted proxies and replay window are the API's; hosts and size are ours.
    security = get_security_settings().model_copy(
        update={"allowed_hosts": receiver.allowed_hosts, "max_body_bytes": receiver.max_body_bytes}
    )
    verified = WebhookVerifier(security, replay_protection=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        yield
        await app.state.redis.aclose()

    app = FastAPI(title="webhook receiver (the customer's server)", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/status-callbacks", status_code=204)
    async def receive(webhook: Annotated[SignedWebhook, Depends(verified)]) -> None:
        # Only a callback whose signature checked out reaches this line.
        fields = dict(webhook.params)
        log.info(
            "status callback verified",
            **{k: fields.get(k) for k in ("MessageSid", "MessageStatus")},
        )
        await app.state.redis.rpush(
            RECEIVED_KEY, json.dumps({"url": webhook.url, "params": fields})
        )

    @app.get("/status-callbacks")
    async def received() -> list[dict[str, Any]]:
        return [json.loads(item) for item in await app.state.redis.lrange(RECEIVED_KEY, 0, -1)]

    install_error_handling(app)
    install_security(app, security)
    return app


def main() -> None:
    settings, app_settings = get_settings(), AppSettings()
    if settings.redis_url is None:
        raise SystemExit("cannot start the webhook receiver: REDIS_URL is not set")
    uvicorn.run(
        create_receiver(settings.redis_url),
        host=app_settings.host,
        port=app_settings.port,
        log_config=None,
        access_log=False,
        # X-Forwarded-* are read by the app itself, only from API_SECURITY_TRUSTED_PROXIES;
        # uvicorn's default would believe them from any loopback peer and rewrite scheme and client.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
