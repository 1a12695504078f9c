"""What happens when the customer's callback URL is down? Retry with backoff, up to a cap, then say so.

Each failed attempt is written on the message (`retrying` and the error), a success as `delivered`,
and running out of attempts as `failed` with the last error: the sender reads it from the API
instead of guessing. The backoff is the repo's one (`error_handling.retry`, through `queue_demo.retry`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.retry import Backoff, call_with_retries

RETRYING, DELIVERED, FAILED = "retrying", "delivered", "failed"


class CallbackPolicySettings(BaseSettings):
    """QUEUE_DEMO_CALLBACK_MAX_ATTEMPTS and friends: how hard to try one status callback."""

    model_config = SettingsConfigDict(env_prefix="QUEUE_DEMO_CALLBACK_", extra="ignore")

    max_attempts: int = Field(default=6, ge=1, le=100)
    backoff_base_s: float = Field(default=0.5, gt=0)
    backoff_cap_s: float = Field(default=8.0, gt=0)

    def backoff(self) -> Backoff:
        # No deadline (queue_demo's Backoff): the cap on attempts is the policy.
        return Backoff(
            self.backoff_base_s, max(self.backoff_cap_s, self.backoff_base_s), self.max_attempts
        )


class CallbackLedger:
    """Writes a callback's state on its message. `statement` takes :ids (a JSON array), :status and
    :error."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], statement: TextClause) -> None:
        self.sessions = sessions
        self.statement = statement

    async def record(self, message_ids: Sequence[str], status: str, error: str | None) -> None:
        async with self.sessions.begin() as session:
            await self.record_in(session, message_ids, status, error)

    async def record_in(
        self, session: AsyncSession, message_ids: Sequence[str], status: str, error: str | None
    ) -> None:
        """The same, inside the caller's transaction (the inbox's, for a success)."""
        if message_ids:
            await session.execute(
                self.statement,
                {"ids": json.dumps(list(message_ids)), "status": status, "error": error},
            )


async def deliver_with_policy(
    attempt: Callable[[], Awaitable[None]],
    backoff: Backoff,
    on_failure: Callable[[str], Awaitable[None]],
) -> None:
    """Run `attempt` until it succeeds or the policy gives up (GaveUp, with every attempt).

    `on_failure` hears each failed attempt's error as it happens (the API shows `retrying`).
    """

    async def observed() -> None:
        try:
            await attempt()
        except Exception as error:
            await on_failure(f"{type(error).__name__}: {error}")
            raise

    await call_with_retries(observed, backoff)
