"""What does each GraphQL request get? One session, used one resolver at a time, and its loaders.

Sibling fields resolve concurrently; an AsyncSession must not be, so a lock takes turns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from rest_vs_graphql import service
from rest_vs_graphql.models import Account, Participant, PhoneNumber
from rest_vs_graphql.settings import TwinSettings

T = TypeVar("T")


class RequestDatabase:
    """The request's AsyncSession behind a lock: `await db.run(lambda s: service.f(s, …))`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._turn = asyncio.Lock()

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._turn:
            return await work(self._session)


class Loaders:
    """Relation loaders made per request, so no cached row outlives it or leaks across callers.

    `batched=False` is the naive switch: the same loaders with batching and caching off,
    so every resolved relation costs its own SQL statement — the N+1 problem, on purpose.
    """

    def __init__(self, db: RequestDatabase, *, batched: bool) -> None:
        options: dict[str, Any] = {} if batched else {"max_batch_size": 1, "cache": False}

        async def phone_numbers(sids: Sequence[str]) -> list[PhoneNumber | None]:
            return await db.run(lambda session: service.phone_numbers_by_sid(session, sids))

        async def accounts(sids: Sequence[str]) -> list[Account | None]:
            return await db.run(lambda session: service.accounts_by_sid(session, sids))

        async def participants(sids: Sequence[str]) -> list[list[Participant]]:
            return await db.run(lambda session: service.participants_by_conversation(session, sids))

        self.phone_number = DataLoader[str, PhoneNumber | None](load_fn=phone_numbers, **options)
        self.account = DataLoader[str, Account | None](load_fn=accounts, **options)
        self.participants = DataLoader[str, list[Participant]](load_fn=participants, **options)


class TwinContext(BaseContext):
    def __init__(
        self,
        db: RequestDatabase,
        *,
        caller: str | None,
        batched: bool,
        settings: TwinSettings,
        on_queued: service.MessageQueued | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.caller = caller
        self.on_queued = on_queued
        self.loaders = Loaders(db, batched=batched)
        self.settings = settings
