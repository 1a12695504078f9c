"""Whose account is this? The signed-in user's: one Twilio-style account per user, opened on request.

The account SID is derived from the user id, so no lookup table can drift from the token.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth import Principal, require_scopes
from error_handling.plain_text import PlainText
from rest_vs_graphql.models import Account, PhoneNumber, new_sid
from rest_vs_graphql.rest_api import API, account_json, phone_number_json


def account_sid_of(user_id: uuid.UUID) -> str:
    return "AC" + user_id.hex


async def reading_account(
    principal: Annotated[Principal, require_scopes("messages:read")],
) -> str:
    """The REST/GraphQL `caller`: the SID of the account this token may read."""
    return account_sid_of(principal.user_id)


async def sending_account(
    principal: Annotated[Principal, require_scopes("messages:write")],
) -> str:
    """The rate limiter's identity on the send route, and the proof of the write scope."""
    return account_sid_of(principal.user_id)


def accounts_router(sessions: async_sessionmaker[AsyncSession]) -> APIRouter:
    router = APIRouter(prefix=API, tags=["accounts"])

    @router.post("/Accounts.json", status_code=201)
    async def open_account(
        principal: Annotated[Principal, require_scopes("profile:write")],
        friendly_name: Annotated[
            PlainText, Form(alias="FriendlyName", min_length=1, max_length=64)
        ],
    ) -> dict[str, Any]:
        """Open the caller's account with one sending number; a second call returns the same one."""
        sid = account_sid_of(principal.user_id)
        async with sessions() as session, session.begin():
            account = await session.get(Account, sid, with_for_update=True)
            if account is None:
                now = datetime.now(UTC)
                account = Account(sid=sid, friendly_name=friendly_name, created_at=now)
                session.add(account)
                await session.flush()
                session.add(
                    PhoneNumber(
                        sid=new_sid("PN"),
                        account_sid=sid,
                        # Area code 555 is not in service: these numbers reach nobody.
                        phone_number=f"+1555{secrets.randbelow(10**7):07d}",
                        friendly_name=f"{friendly_name} sender",
                        created_at=now,
                    )
                )
            numbers = await session.scalars(
                select(PhoneNumber).where(PhoneNumber.account_sid == sid).order_by(PhoneNumber.sid)
            )
            return {
                **account_json(account),
                "phone_numbers": [phone_number_json(number) for number in numbers],
            }

    return router
