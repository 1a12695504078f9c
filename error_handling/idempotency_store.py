"""Where do idempotency keys live? In Redis hashes: claimed atomically, expiring on their own.

Each operation is one Lua script, so claim, finish and release never race each other.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from importlib.resources import files

import redis.asyncio

from error_handling.settings import ErrorHandlingSettings

KEY_PREFIX = "idempotency:"


def _script(name: str) -> str:
    return files("error_handling").joinpath(name).read_text()


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """The answer to "may I run this request?": yes (`token`), or what already holds the key."""

    token: str | None = None
    state: str | None = None  # "running" or "done" when the key was already taken
    fingerprint: str | None = None
    response: StoredResponse | None = None


class IdempotencyStore:
    """Idempotency records in Redis; the client must use `decode_responses=True`."""

    def __init__(self, client: redis.asyncio.Redis, settings: ErrorHandlingSettings | None = None):
        if not client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("IdempotencyStore needs a Redis client with decode_responses=True")
        self.settings = settings or ErrorHandlingSettings()
        self._claim = client.register_script(_script("idempotency_claim.lua"))
        self._finish = client.register_script(_script("idempotency_finish.lua"))
        self._release = client.register_script(_script("idempotency_release.lua"))

    async def claim(self, key: str, fingerprint: str) -> Claim:
        token = uuid.uuid4().hex
        held = await self._claim(
            keys=[KEY_PREFIX + key], args=[token, fingerprint, self.settings.idempotency_lock_ms]
        )
        if held is None:
            return Claim(token=token)
        state, held_fingerprint, status, headers, body = held
        response = None
        if state == "done":
            response = StoredResponse(
                int(status),
                [(name, value) for name, value in json.loads(headers)],
                base64.b64decode(body),
            )
        return Claim(state=state, fingerprint=held_fingerprint, response=response)

    async def finish(self, key: str, token: str, response: StoredResponse) -> bool:
        """Keep the response for replays; False if our claim had lapsed and someone else holds it."""
        stored = await self._finish(
            keys=[KEY_PREFIX + key],
            args=[
                token,
                response.status,
                json.dumps(response.headers),
                base64.b64encode(response.body).decode("ascii"),
                self.settings.idempotency_retention_ms,
            ],
        )
        return bool(stored)

    async def release(self, key: str, token: str) -> None:
        await self._release(keys=[KEY_PREFIX + key], args=[token])
