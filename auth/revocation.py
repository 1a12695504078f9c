"""How is a stateless token revoked? Its `jti` (one token) or `sid` (a whole session) goes on a Redis denylist.

Entries expire when the tokens they name would have, so the list never outgrows the live tokens.
"""

from __future__ import annotations

import redis.asyncio


class Denylist:
    def __init__(self, redis: redis.asyncio.Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _token_key(self, jti: str) -> str:
        return f"{self._prefix}:revoked:jti:{jti}"

    def _session_key(self, sid: str) -> str:
        return f"{self._prefix}:revoked:sid:{sid}"

    async def revoke_token(self, jti: str, ttl_s: int) -> None:
        await self._redis.set(self._token_key(jti), 1, ex=max(ttl_s, 1))

    async def revoke_session(self, sid: str, ttl_s: int) -> None:
        """Kills the session's access tokens still in flight; ttl_s ≥ their lifetime plus leeway."""
        await self._redis.set(self._session_key(sid), 1, ex=max(ttl_s, 1))

    async def is_revoked(self, jti: str, sid: str) -> bool:
        # One round trip for both questions.
        return int(await self._redis.exists(self._token_key(jti), self._session_key(sid))) > 0
