"""What does the messages service do when the accounts service cannot answer? Use the last good answer.

A recent account check stands in for a live one; an account never seen gets a fast 503.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from microservices.messages import AccountView


class LastKnownAccounts:
    """Remembers each account the accounts service returned, for at most `max_age_s`."""

    def __init__(self, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self.clock = clock
        self._seen: dict[uuid.UUID, tuple[float, AccountView]] = {}
        self.served = 0

    def remember(self, account: AccountView) -> None:
        self._seen[account.id] = (self.clock(), account)

    def recall(self, account_id: uuid.UUID) -> AccountView | None:
        """The remembered account if it is fresh enough, else None."""
        seen = self._seen.get(account_id)
        if seen is None or self.clock() - seen[0] > self.max_age_s:
            return None
        self.served += 1
        return seen[1]
