"""Where does session state live when there are many instances? Here: in memory, or in Redis.

In memory, a session exists only on the instance that wrote it; in Redis, every instance sees it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import redis.asyncio


class SessionStore(Protocol):
    async def save(self, session_id: str, user: str) -> None: ...
    async def load(self, session_id: str) -> str | None: ...


class MemorySessions:
    """Sessions in this process's memory: fast, and invisible to every other instance."""

    def __init__(self, max_sessions: int) -> None:
        self._max = max_sessions
        self._sessions: OrderedDict[str, str] = OrderedDict()

    async def save(self, session_id: str, user: str) -> None:
        self._sessions[session_id] = user
        self._sessions.move_to_end(session_id)
        if len(self._sessions) > self._max:
            self._sessions.popitem(last=False)  # bounded memory: the oldest session goes

    async def load(self, session_id: str) -> str | None:
        return self._sessions.get(session_id)


class RedisSessions:
    """Sessions in Redis with a TTL: one round trip, and every instance reads the same value."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str, ttl_s: int) -> None:
        self._client, self._prefix, self._ttl_s = client, prefix, ttl_s

    async def save(self, session_id: str, user: str) -> None:
        await self._client.set(f"{self._prefix}:session:{session_id}", user, ex=self._ttl_s)

    async def load(self, session_id: str) -> str | None:
        value = await self._client.get(f"{self._prefix}:session:{session_id}")
        return None if value is None else str(value)
