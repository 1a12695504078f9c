"""How do you stop a captured, validly signed callback from being sent again? A time window plus a seen-id set.

The timestamp bounds how long an id must be remembered; Redis `SET NX EX` remembers it, atomically.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import redis.asyncio

from api_security.callback_signer import CALLBACK_ID_PARAM, TIMESTAMP_PARAM
from error_handling.problems import Forbidden

MISSING_STAMP = (
    f"The callback URL must end with one {TIMESTAMP_PARAM} and one {CALLBACK_ID_PARAM}, as signed."
)
# Read from the raw URL, not a parsed query: the signature covers the raw text, so the stamp must be
# its last characters, in a form that no text slid in from the body could extend.
STAMP_AT_END = re.compile(
    rf"[?&]{TIMESTAMP_PARAM}=(?P<timestamp>[0-9]{{1,12}})&{CALLBACK_ID_PARAM}=(?P<id>[0-9a-f]{{32}})\Z"
)
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
        stamp = STAMP_AT_END.search(url)
        query = parse_qs(urlsplit(url).query)
        if (
            stamp is None
            or len(query.get(TIMESTAMP_PARAM, [])) != 1
            or len(query.get(CALLBACK_ID_PARAM, [])) != 1
        ):
            raise Forbidden(MISSING_STAMP)
        timestamp, callback_id = int(stamp["timestamp"]), stamp["id"]
        # Both directions: a timestamp from the future is as suspect as one from the past.
        if abs(self._clock() - timestamp) > self._tolerance_s:
            raise Forbidden(STALE)
        # Remember the id for the whole window on either side; after that the stamp alone refuses it.
        first_use = await self._client.set(
            self._key_prefix + callback_id, "1", nx=True, ex=2 * self._tolerance_s
        )
        if not first_use:
            raise Forbidden(REPLAYED)
