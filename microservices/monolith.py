"""The same feature as a modular monolith: one process, in-process calls, one transaction.

The account check, the message and the billing record commit together, or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from backing_services import sqlalchemy_async_url
from error_handling.problems import install_problem_handlers
from microservices.accounts import find_account
from microservices.app_state import SessionsDep, SettingsDep, attach
from microservices.billing import Charge, record_charges
from microservices.messages import (
    AccountView,
    SendMessage,
    SentMessage,
    ensure_may_send,
    insert_message,
)
from microservices.schema import create_tables
from microservices.settings import MicroservicesSettings


async def send_in_one_transaction(
    session: AsyncSession, send: SendMessage, price_cents: int
) -> SentMessage:
    """Check, store and bill in the caller's transaction: billing never lags, never misses."""
    account = await find_account(session, send.account_id)  # a function call, not a request
    view = AccountView.model_validate(account.model_dump()) if account else None
    ensure_may_send(view, send.account_id, price_cents)
    message_id = uuid.uuid4()
    created_at = await insert_message(session, message_id, send)
    await record_charges(session, [Charge(message_id, send.account_id, price_cents, created_at)])
    return SentMessage(id=message_id, account_id=send.account_id, account_check="in-process")


router = APIRouter(tags=["messages (monolith)"])


@router.post("/messages", status_code=201, response_model=SentMessage)
async def send_message(
    send: SendMessage, sessions: SessionsDep, settings: SettingsDep
) -> SentMessage:
    async with sessions.begin() as session:
        return await send_in_one_transaction(session, send, settings.price_cents)


def create_monolith_app(
    database_url: str, settings: MicroservicesSettings | None = None
) -> FastAPI:
    """The monolith as its own app (what `python -m microservices.serve monolith` runs)."""
    engine = create_async_engine(sqlalchemy_async_url(database_url), pool_size=10)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await create_tables(engine)
        yield
        await engine.dispose()

    app = FastAPI(title="messages (monolith)", version="1.0.0", lifespan=lifespan)
    attach(app, engine, settings or MicroservicesSettings())
    install_problem_handlers(app)
    app.include_router(router)
    return app
