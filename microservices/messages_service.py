"""The messages capability as its own service: ask accounts over HTTP, store the message, tell billing later.

The message and its `message.sent` event commit together (queue_demo's outbox); a relay publishes it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import redis.asyncio
from fastapi import Depends, FastAPI, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backing_services import sqlalchemy_async_url
from error_handling.problems import UpstreamUnavailable, install_problem_handlers
from error_handling.traceparent import TraceParent, new_traceparent, parse_traceparent
from microservices.accounts_client import AccountsClient
from microservices.billing import MESSAGE_SENT, Charge
from microservices.deadlines import HEADER as TIMEOUT_HEADER
from microservices.deadlines import Deadline, parse_timeout_ms
from microservices.failures import DependencyFailed
from microservices.fallback import LastKnownAccounts
from microservices.messages import (
    AccountView,
    SendMessage,
    SentMessage,
    ensure_may_send,
    insert_message,
)
from microservices.schema import create_tables
from microservices.settings import MicroservicesSettings
from queue_demo.outbox import add_to_outbox
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings


class MessagesService:
    """What one request needs: the accounts client, the fallback, the database."""

    def __init__(
        self,
        client: AccountsClient,
        sessions: async_sessionmaker[AsyncSession],
        settings: MicroservicesSettings,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.settings = settings
        self.last_known = LastKnownAccounts(settings.fallback_max_age_s)

    async def check_account(
        self, account_id: uuid.UUID, span: TraceParent, deadline: Deadline | None = None
    ) -> tuple[AccountView | None, Literal["live", "cached"]]:
        try:
            # The call to accounts is a child span of this request: one trace across both services.
            account = await self.client.get_account(
                account_id, traceparent=str(span.child()), deadline=deadline
            )
        except DependencyFailed as error:
            cached = self.last_known.recall(account_id)
            if cached is None:
                retry_after = self.client.breaker.retry_after_s() if self.client.breaker else 1.0
                raise UpstreamUnavailable(
                    f"cannot check account {account_id}: {error}",
                    headers={"Retry-After": str(max(1, round(retry_after)))},
                ) from None
            return cached, "cached"
        if account is not None:
            self.last_known.remember(account)
        return account, "live"

    async def send(
        self, send: SendMessage, span: TraceParent, deadline: Deadline | None = None
    ) -> SentMessage:
        """Check, store, and leave the billing event in the outbox, carrying the request's trace."""
        account, check = await self.check_account(send.account_id, span, deadline)
        ensure_may_send(account, send.account_id, self.settings.price_cents)
        message_id = uuid.uuid4()
        async with self.sessions.begin() as session:
            created_at = await insert_message(session, message_id, send)
            charge = Charge(message_id, send.account_id, self.settings.price_cents, created_at)
            await add_to_outbox(
                session,
                stream=self.settings.billing_stream,
                event_type=MESSAGE_SENT,
                payload=charge.to_payload(),
                traceparent=str(span),
            )
        return SentMessage(id=message_id, account_id=send.account_id, account_check=check)

    def stats(self) -> dict[str, Any]:
        breaker = self.client.breaker
        return {
            "calls": self.client.stats.calls,
            "attempts": self.client.stats.attempts,
            "retries": self.client.budget.retries,
            "retries_denied_by_budget": self.client.budget.denied,
            "upstream_errors": self.client.stats.upstream_errors,
            "failed_fast": self.client.failed_fast(),
            "bulkhead_rejected": self.client.bulkhead.rejected,
            "served_from_fallback": self.last_known.served,
            "breaker_state": breaker.state.value if breaker else "disabled",
        }


def service(request: Request) -> MessagesService:
    messages: MessagesService = request.app.state.service
    return messages


ServiceDep = Annotated[MessagesService, Depends(service)]


def create_messages_app(
    database_url: str, redis_url: str, settings: MicroservicesSettings | None = None
) -> FastAPI:
    settings = settings or MicroservicesSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_async_engine(sqlalchemy_async_url(database_url), pool_size=10)
        await create_tables(engine)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        redis_client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        client = AccountsClient(settings.accounts_url, settings)
        app.state.service = MessagesService(client, sessions, settings)
        # The relay belongs to the service that owns the outbox: it publishes what we committed.
        stop = asyncio.Event()
        relay = asyncio.create_task(Relay(sessions, redis_client, QueueSettings()).run(stop))
        yield
        stop.set()
        await relay
        await client.aclose()
        await redis_client.aclose()
        await engine.dispose()

    app = FastAPI(title="messages", version="1.0.0", lifespan=lifespan)
    install_problem_handlers(app)

    @app.post("/messages", status_code=201, response_model=SentMessage)
    async def send_message(
        send: SendMessage,
        messages: ServiceDep,
        traceparent: Annotated[str | None, Header()] = None,
        # Infrastructure, like traceparent, but kept out of the published contract: a client that
        # sends it asks for a 5xx when time runs out, which a schema fuzzer should not provoke.
        timeout_ms: Annotated[
            str | None, Header(alias=TIMEOUT_HEADER, include_in_schema=False)
        ] = None,
    ) -> SentMessage:
        # The event carries this request's trace onward, so billing's work joins the same trace
        # even though it happens later, in another process.
        parent = parse_traceparent(traceparent)
        span = parent.child() if parent else new_traceparent()
        # The caller's deadline, if it sent one, bounds the call to accounts too.
        seconds = parse_timeout_ms(timeout_ms)
        deadline = Deadline.after(seconds) if seconds is not None else None
        return await messages.send(send, span, deadline)

    @app.get("/internal/stats", include_in_schema=False)
    async def stats(messages: ServiceDep) -> dict[str, Any]:
        return messages.stats()

    return app
