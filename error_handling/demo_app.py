"""A tiny messaging API that exercises every habit: problems, request ids, idempotency, a queue hop.

The demo and the tests drive it; `stream_worker.py` delivers what it queues.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import redis.asyncio
import strawberry
import structlog
from fastapi import APIRouter, FastAPI, Path
from pydantic import BaseModel, Field
from redis.typing import EncodableT, FieldT
from strawberry.fastapi import GraphQLRouter

from backing_services import get_settings
from error_handling.correlation import current_correlation
from error_handling.graphql_errors import ProblemDetailsSchema
from error_handling.idempotency import idempotent_route
from error_handling.idempotency_store import IdempotencyStore
from error_handling.install import install_error_handling
from error_handling.problems import NotFound
from error_handling.settings import ErrorHandlingSettings

STREAM = "error_handling:outbound"
MESSAGES = "error_handling:message:"
log = structlog.get_logger("error_handling.demo_app")

MessageId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$")]


class NewMessage(BaseModel):
    to: str = Field(pattern=r"^\+[1-9]\d{1,14}$", description="E.164, e.g. +14155550100")
    body: str = Field(min_length=1, max_length=1600)


class Message(BaseModel):
    id: str
    to: str
    body: str
    status: str


def create_demo_app(
    client: redis.asyncio.Redis, settings: ErrorHandlingSettings | None = None
) -> FastAPI:
    """The app on a Redis client with `decode_responses=True`; the caller closes the client."""
    app = FastAPI(title="error_handling demo")
    sends = APIRouter(route_class=idempotent_route(IdempotencyStore(client, settings)))

    @sends.post("/messages", status_code=201)
    async def send_message(new: NewMessage) -> Message:
        message = Message(id=f"msg_{uuid.uuid4().hex}", to=new.to, body=new.body, status="queued")
        stored: dict[FieldT, EncodableT] = dict(message.model_dump().items())
        await client.hset(MESSAGES + message.id, mapping=stored)
        # The ids ride along in the message, so the worker's lines join this request's.
        queued: dict[FieldT, EncodableT] = {"message_id": message.id}
        queued.update(current_correlation().items())
        await client.xadd(STREAM, queued)
        log.info("message queued", message_id=message.id)
        return message

    @app.get("/messages/{message_id}")
    async def read_message(message_id: MessageId) -> Message:
        return await _load(client, message_id)

    @app.get("/crash")
    async def crash() -> None:
        # The kind of text an exception carries in real life; none of it may reach the client.
        raise RuntimeError("connection to postgresql://app:hunter2@db.internal:5432/prod refused")

    @strawberry.type
    class Query:
        @strawberry.field
        async def message(self, id: str) -> str:
            return (await _load(client, id)).status

        @strawberry.field
        def crash(self) -> str:
            raise RuntimeError("KeyError: 'api_secret' in settings")

    app.include_router(sends)
    app.include_router(GraphQLRouter(ProblemDetailsSchema(query=Query)), prefix="/graphql")
    install_error_handling(app)
    return app


async def _load(client: redis.asyncio.Redis, message_id: str) -> Message:
    fields = await client.hgetall(MESSAGES + message_id)
    if not fields:
        raise NotFound(f"No message {message_id}.")
    return Message.model_validate(fields)


def create_app_from_settings() -> FastAPI:
    """For `uvicorn --factory error_handling.demo_app:create_app_from_settings` (REDIS_URL set)."""
    redis_url = get_settings().redis_url
    if redis_url is None:
        raise SystemExit("the demo app needs REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    return create_demo_app(redis.asyncio.Redis.from_url(redis_url, decode_responses=True))
