"""A small protected resource showing the three layers: scope (function), owner (object), fields (property).

A user reaches only their own account's messages (OWASP API1:2023, BOLA); only `accounts:any` reads others'.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from auth.dependencies import AuthDep, require_scopes
from auth.models import Message
from auth.service import Principal
from error_handling.problems import NotFound

NO_SUCH_ACCOUNT = "There is no account {account_id} that you can see."

router = APIRouter(prefix="/auth/accounts/{account_id}/messages", tags=["auth demo resource"])


class MessageIn(BaseModel):
    # Only the body is the client's to set; id, owner and timestamps are the server's (OWASP API3:2023).
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=1600)


class MessageOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    body: str
    created_at: datetime


def check_account_access(principal: Principal, account_id: uuid.UUID, *, write: bool) -> None:
    """The object-level check: your own account always; anyone's for reading with `accounts:any`."""
    if principal.user_id == account_id:
        return
    if not write and "accounts:any" in principal.scopes:
        return
    # 404, not 403: a stranger learns nothing, not even that the account exists.
    raise NotFound(NO_SUCH_ACCOUNT.format(account_id=account_id))


@router.get("")
async def list_messages(
    account_id: uuid.UUID,
    principal: Annotated[Principal, require_scopes("messages:read")],
    auth: AuthDep,
) -> list[MessageOut]:
    check_account_access(principal, account_id, write=False)
    async with auth.sessions() as session:
        rows = await session.scalars(
            select(Message).where(Message.account_id == account_id).order_by(Message.created_at)
        )
        return [MessageOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("", status_code=status.HTTP_201_CREATED)
async def send_message(
    account_id: uuid.UUID,
    body: MessageIn,
    principal: Annotated[Principal, require_scopes("messages:write")],
    auth: AuthDep,
) -> MessageOut:
    check_account_access(principal, account_id, write=True)
    async with auth.sessions.begin() as session:
        message = Message(id=uuid.uuid4(), account_id=account_id, body=body.body)
        session.add(message)
        await session.flush()
        await session.refresh(message)
    return MessageOut.model_validate(message, from_attributes=True)
