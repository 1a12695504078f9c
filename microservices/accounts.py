"""The accounts capability: may this account send, and at what credit? One module, called two ways.

The monolith calls these functions in-process; the accounts service puts them behind HTTP.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

INSERT_ACCOUNT = text(
    "INSERT INTO customer_accounts (id, name, credit_cents) VALUES (:id, :name, :credit_cents)"
    " RETURNING id::text, name, status, credit_cents"
)
# FOR SHARE: in the monolith's transaction, the account cannot be suspended under a send in flight.
SELECT_ACCOUNT = text(
    "SELECT id::text, name, status, credit_cents FROM customer_accounts WHERE id = :id FOR SHARE"
)


# PostgreSQL text cannot hold NUL, and a name has no business holding any control character.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


class NewAccount(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS)
    credit_cents: int = Field(ge=0, le=10**12)


class Account(BaseModel):
    id: uuid.UUID
    name: str
    status: Literal["active", "suspended"]
    credit_cents: int


async def create_account(session: AsyncSession, new: NewAccount) -> Account:
    row = (
        await session.execute(
            INSERT_ACCOUNT,
            {"id": str(uuid.uuid4()), "name": new.name, "credit_cents": new.credit_cents},
        )
    ).one()
    return Account.model_validate(row._asdict())


async def find_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    row = (await session.execute(SELECT_ACCOUNT, {"id": str(account_id)})).one_or_none()
    return Account.model_validate(row._asdict()) if row else None
