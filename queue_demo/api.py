"""The HTTP edge: `POST /messages` queues a message (message row + outbox row, one commit) and answers 201.

Mount `create_router(get_session)` in any FastAPI app that has `install_problem_handlers` installed.
"""

# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime,
# and `SessionDep` is local to `create_router`.

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, status
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from error_handling.problems import NotFound, ValidationFailed
from queue_demo.outbox import InvalidMessage, NewMessage, create_message
from queue_demo.settings import QueueSettings

SELECT_MESSAGE = text(
    "SELECT id::text, to_number, status, created_at FROM messages WHERE id = CAST(:id AS uuid)"
)


class MessageIn(BaseModel):
    to: str
    body: str
    callback_url: str | None = None


class MessageOut(BaseModel):
    sid: str
    to: str
    status: str


def create_router(
    get_session: Callable[[], AsyncIterator[AsyncSession]], settings: QueueSettings | None = None
) -> APIRouter:
    """Routes under the caller's prefix; `get_session` is the app's AsyncSession dependency."""
    settings = settings or QueueSettings()
    router = APIRouter(tags=["queue_demo"])
    SessionDep = Annotated[AsyncSession, Depends(get_session)]

    # 201, not 202: the message resource exists once the commit returns and can be read at its URI;
    # delivery is a later fact reported by its status (Twilio answers 201 for the same reason).
    @router.post("/messages", status_code=status.HTTP_201_CREATED, response_model=MessageOut)
    async def queue_message(
        message: MessageIn,
        session: SessionDep,
        x_request_id: Annotated[str, Header()] = "",
        traceparent: Annotated[str, Header()] = "",
    ) -> MessageOut:
        # The app's dependency may already have opened a transaction; then it commits, not us.
        transaction = session.begin_nested() if session.in_transaction() else session.begin()
        try:
            async with transaction:
                sid = await create_message(
                    session,
                    NewMessage(message.to, message.body, message.callback_url),
                    settings=settings,
                    request_id=x_request_id,
                    traceparent=traceparent,
                )
        except InvalidMessage as error:
            raise ValidationFailed("The message is not valid.", errors=error.errors) from None
        return MessageOut(sid=sid, to=message.to, status="queued")

    @router.get("/messages/{sid}", response_model=MessageOut)
    async def read_message(sid: uuid.UUID, session: SessionDep) -> MessageOut:
        row = (await session.execute(SELECT_MESSAGE, {"id": str(sid)})).first()
        if row is None:
            raise NotFound(f"No message {sid}.")
        return MessageOut(sid=row.id, to=row.to_number, status=row.status)

    return router
