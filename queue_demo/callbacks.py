"""After delivery, tell the customer: POST a status callback, signed like Twilio's, retried with backoff.

Callbacks are events too: the delivery commit writes them to the outbox, and this handler sends them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api_security.callback_signer import CallbackSigner
from queue_demo import inbox
from queue_demo.events import Event, bound_to
from queue_demo.retry import Attempt, Backoff, GaveUp, TransientError, call_with_retries
from queue_demo.settings import QueueSettings


def request_id_header(event: Event) -> dict[str, str]:
    return {"X-Request-ID": event.request_id} if event.request_id else {}


class CallbackRejected(Exception):
    """The receiver answered 4xx: sending the same request again will not change its mind."""


class SendStatusCallbacks:
    """A consumer Handler for `message.status` events: sign, POST, retry, record in the inbox."""

    inbox_name = "status-callbacks"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        settings: QueueSettings,
    ) -> None:
        self.sessions = sessions
        self.http = http
        self.signer = CallbackSigner(settings.callback_auth_token)
        self.timeout_s = settings.callback_timeout_s
        self.backoff = Backoff(
            settings.backoff_base_s, settings.backoff_cap_s, settings.max_attempts
        )
        self.limit = asyncio.Semaphore(settings.concurrency)

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        async with self.sessions() as session:
            seen = await inbox.already_processed(
                session, self.inbox_name, [event.event_id for event in events]
            )
        todo = [event for event in events if event.event_id not in seen]
        results = await asyncio.gather(*(self._send(event) for event in todo))
        failures = {event.entry_id: r for event, r in zip(todo, results, strict=True) if r}
        sent = [event.event_id for event in todo if event.entry_id not in failures]
        if sent:
            async with self.sessions.begin() as session:
                await inbox.record_new(session, self.inbox_name, sent)
        return failures

    async def _send(self, event: Event) -> GaveUp | None:
        """POST one callback with retries; None when the receiver took it."""
        payload = event.payload
        params = {
            "MessageSid": str(payload.get("message_id", "")),
            "MessageStatus": str(payload.get("status", "")),
            "To": str(payload.get("to", "")),
            "CarrierSid": str(payload.get("carrier_sid", "")),
        }
        url = str(payload.get("callback_url", ""))

        async def post_once() -> None:
            signed = self.signer.sign(url, params)  # a fresh timestamp for every attempt
            try:
                response = await self.http.post(
                    signed.url,
                    data=params,
                    # The receiver's logs can then be joined to the request that sent the message.
                    headers={**signed.headers, **request_id_header(event)},
                    timeout=self.timeout_s,
                )
            except httpx.TransportError as error:
                raise TransientError(f"{type(error).__name__}: {error}") from error
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientError(f"receiver answered {response.status_code}")
            if response.status_code >= 400:
                raise CallbackRejected(f"receiver answered {response.status_code}")

        with bound_to(event):
            if not url.startswith(("http://", "https://")):
                return GaveUp([Attempt(1, f"callback_url is not http(s): {url!r}", time.time())])
            async with self.limit:
                try:
                    await call_with_retries(post_once, self.backoff)
                except GaveUp as error:
                    return error
        return None
