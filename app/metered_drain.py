"""The walkthrough's metering step: three messages from one number leave one interval apart.

The departure times come from the carrier's side (QUEUE_DEMO_CARRIER_LOG), not from the sender's.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from app.walkthrough import open_account, poll, sign_in
from queue_demo.carrier_log import read_carrier_log

# What the local walkthrough sets, so that the drain is slow enough to see.
SENDER_PER_SECOND = 2.0
DRAIN = 3


async def metered_drain(api_url: str, carrier_log: Path) -> str:
    """Send DRAIN messages at once from one number; say when each reached the carrier."""
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as api:
        auth = await sign_in(api, f"meter{uuid.uuid4().hex[:8]}")
        account, sender = await open_account(api, auth)
        tag = uuid.uuid4().hex[:8]
        for n in range(DRAIN):
            sent = await api.post(
                f"/2010-04-01/Accounts/{account}/Messages.json",
                data={"To": "+15558675310", "From": sender, "Body": f"metered {tag} {n}"},
                headers=auth,
            )
            sent.raise_for_status()

        async def departed() -> list[float] | None:
            calls = [c for c in read_carrier_log(carrier_log) if tag in str(c["body"])]
            return [float(c["at"]) for c in calls] if len(calls) >= DRAIN else None

        times = await poll("the metered drain", departed)
    offsets = ", ".join(f"+{at - times[0]:.2f} s" for at in times)
    return (
        f"metering: {DRAIN} messages sent at once from {sender} reached the carrier at {offsets}"
        f" (QUEUE_DEMO_SENDER_PER_SECOND={SENDER_PER_SECOND:g}: queued, not refused)"
    )
