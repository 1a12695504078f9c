"""What does an endpoint look like with every layer on? This small app: keys, messages, webhooks, callbacks.

`create_app` is the factory the tests, the fuzzer and the demo share; the composed app mounts the same parts.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import redis.asyncio
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import create_async_engine

from api_security.api_key_routes import RequireScope, api_key_router
from api_security.api_keys import ApiKey, Base
from api_security.install import install_security
from api_security.problem_docs import problem_responses
from api_security.settings import SecuritySettings
from api_security.ssrf import check_outbound_url
from api_security.webhooks import SignedWebhook, WebhookVerifier
from backing_services import sqlalchemy_async_url
from error_handling.problems import install_problem_handlers

WEBHOOK_REFUSALS = problem_responses(400, 403, 413, 415)


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(pattern=r"^\+[1-9][0-9]{1,14}$", description="E.164 phone number")
    body: str = Field(min_length=1, max_length=1600)
    status_callback: str | None = Field(default=None, max_length=2048)


class MessageAccepted(BaseModel):
    sid: str
    status: Literal["queued"]
    to: str
    status_callback: str | None


class WebhookReceipt(BaseModel):
    verified: Literal[True]
    fields: int


def create_app(
    settings: SecuritySettings, *, redis_url: str, database_url: str, create_tables: bool = True
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        app.state.engine = create_async_engine(sqlalchemy_async_url(database_url))
        if create_tables:  # a demo convenience; the composed app runs migrations instead
            async with app.state.engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
        yield
        await app.state.redis.aclose()
        await app.state.engine.dispose()

    app = FastAPI(title="api_security demo", lifespan=lifespan)
    install_problem_handlers(app)
    install_security(app, settings)
    app.include_router(api_key_router(settings))
    Sender = Annotated[ApiKey, Depends(RequireScope(settings, "messages:write"))]
    Inbound = Annotated[SignedWebhook, Depends(WebhookVerifier(settings))]
    Callback = Annotated[SignedWebhook, Depends(WebhookVerifier(settings, replay_protection=True))]

    @app.post(
        "/messages",
        status_code=202,
        tags=["messages"],
        responses=problem_responses(401, 403, 413, 415, 422),
    )
    async def send_message(body: MessageCreate, caller: Sender) -> MessageAccepted:
        if body.status_callback is not None:
            await check_outbound_url(body.status_callback, settings.outbound_allowed_networks)
        # Delivery is the queue's job (queue_demo); this endpoint shows the checks before it.
        return MessageAccepted(
            sid="SM" + uuid.uuid4().hex,
            status="queued",
            to=body.to,
            status_callback=body.status_callback,
        )

    @app.post("/webhooks/inbound", tags=["webhooks"], responses=WEBHOOK_REFUSALS)
    async def inbound_webhook(webhook: Inbound) -> WebhookReceipt:
        return WebhookReceipt(verified=True, fields=len(webhook.params))

    @app.post("/callbacks/status", tags=["webhooks"], responses=WEBHOOK_REFUSALS)
    async def status_callback(webhook: Callback) -> WebhookReceipt:
        return WebhookReceipt(verified=True, fields=len(webhook.params))

    return app
