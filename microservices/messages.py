"""The messages capability: validate a send, decide whether the account may send, store the message.

Both architectures share this; they differ only in how they ask about the account and how billing hears.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from error_handling.problems import DomainError, Forbidden, NotFound
from queue_demo.outbox import E164, MAX_BODY

INSERT_MESSAGE = text(
    "INSERT INTO sent_messages (id, account_id, to_number, body) VALUES (:id, :account_id, :to, :body)"
    " RETURNING created_at"
)


class PaymentRequired(DomainError):
    status, slug = 402, "insufficient-credit"


class AccountView(BaseModel):
    """What sending needs to know about an account: the consumer's side of the contract.

    Its own model, not the provider's: unknown fields are ignored (a tolerant reader), so the
    accounts service may add fields freely; removing or retyping one of these breaks the contract.
    """

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    status: Literal["active", "suspended"]
    credit_cents: int


class SendMessage(BaseModel):
    account_id: uuid.UUID
    to: str = Field(pattern=E164.pattern, examples=["+14155550100"])
    # Newlines and tabs are fine in a message; NUL cannot be stored in PostgreSQL text.
    body: str = Field(min_length=1, max_length=MAX_BODY, pattern=r"^[^\x00]*$")


class SentMessage(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    # How the account was checked: in the same process, by a live call, or from the fallback cache.
    account_check: Literal["in-process", "live", "cached"]


def ensure_may_send(
    account: AccountView | None, account_id: uuid.UUID, price_cents: int
) -> AccountView:
    """Raise the client-facing error that says why this account may not send, if it may not."""
    if account is None:
        raise NotFound(f"account {account_id} does not exist")
    if account.status != "active":
        raise Forbidden(f"account {account_id} is {account.status}")
    if account.credit_cents < price_cents:
        raise PaymentRequired(
            f"account {account_id} has {account.credit_cents} cents of credit;"
            f" a message costs {price_cents}"
        )
    return account


async def insert_message(
    session: AsyncSession, message_id: uuid.UUID, send: SendMessage
) -> datetime:
    """Store the message in the session's transaction; return its creation time (billing lag starts there)."""
    created_at: datetime = (
        await session.execute(
            INSERT_MESSAGE,
            {
                "id": str(message_id),
                "account_id": str(send.account_id),
                "to": send.to,
                "body": send.body,
            },
        )
    ).scalar_one()
    return created_at
