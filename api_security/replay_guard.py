"""How do you stop a captured, validly signed callback from being sent again? A time window plus a seen-id set.

The timestamp bounds how long an id must be remembered; Redis `SET NX EX` remembers it, atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import redis.asyncio

from api_security.callback_signer import CALLBACK_ID_PARAM, TIMESTAMP_PARAM
from error_handling.problems import Forbidden

MISSING_STAMP = f"The callback URL must carry one {TIMESTAMP_PARAM} and one {CALLBACK_ID_PARAM}."
STALE = "The callback timestamp is outside the accepted window; it may be a replay."
REPLAYED = "This callback id was already accepted; replays are refused."


class ReplayGuard:
    """Admit each signed callback once, and only while its timestamp is fresh.

    Call it after the signature has been checked: ids of unsigned requests are never stored,
    so nobody can fill the seen-set (or pre-empt a real id) without the token.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        tolerance_s: int,
        *,
        clock: Callable[[], float] = time.time,
        key_prefix: str = "api_security:seen-callback:",
    ) -> None:
        self._client = client
        self._tolerance_s = tolerance_s
        self._clock = clock
        self._key_prefix = key_prefix

    async def admit(self, url: str) -> None:
        """Return if this callback is fresh and new; raise `Forbidden` saying why not otherwise."""
        query = parse_qs(urlsplit(url).query)
        stamps, ids = query.get(TIMESTAMP_PARAM, []), query.get(CALLBACK_ID_PARAM, [])
        if (
            len(stamps) != 1
            or len(ids) != 1
            or not (stamps[0].isascii() and stamps[0].isdigit())
            or not ids[0]
        ):
            raise Forbidden(MISSING_STAMP)
        # Both directions: a timestamp from the future is as suspect as one from the past.
        if abs(self._clock() - int(stamps[0])) > self._tolerance_s:
            raise Forbidden(STALE)
        # Remember the id for the whole window on either side; after that the stamp alone refuses it.
        first_use = await self._client.set(
            self._key_prefix + ids[0], "1", nx=True, ex=2 * self._tolerance_s
        )
        if not first_use:
            raise Forbidden(REPLAYED)
