"""After delivery, tell the customer: POST a status callback, signed like Twilio's, retried with backoff.

Callbacks are events too: the delivery commit writes them to the outbox, and this handler sends them.
Each attempt resolves the customer's host once, refuses non-public answers, and connects to the vetted
address itself, so a DNS answer that changed since the message was accepted reaches nothing inside.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api_security.callback_signer import CallbackSigner
from api_security.settings import SecuritySettings, get_security_settings
from api_security.ssrf import Resolver, Unresolvable, system_resolver, vetted_request
from error_handling.problems import ValidationFailed
from queue_demo import inbox
from queue_demo.events import Event, bound_to
from queue_demo.retry import Attempt, Backoff, GaveUp, TransientError, call_with_retries
from queue_demo.settings import QueueSettings


def request_id_header(event: Event) -> dict[str, str]:
    return {"X-Request-ID": event.request_id} if event.request_id else {}


class CallbackRejected(Exception):
    """The receiver (or our SSRF check) said no: sending the same request again will not change it."""


class SendStatusCallbacks:
    """A consumer Handler for `message.status` events: sign, vet, POST, retry, record in the inbox.

    The signing secret and the networks a callback may reach come from `SecuritySettings`, the same
    settings the receiving side checks signatures with: one secret, one place.
    """

    inbox_name = "status-callbacks"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        settings: QueueSettings,
        *,
        security: SecuritySettings | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        security = security or get_security_settings()
        self.sessions = sessions
        self.http = http
        self.signer = CallbackSigner(security.webhook_auth_token.get_secret_value())
        self.allowed_networks = security.outbound_allowed_networks
        self.resolver = resolver
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

    async def post_once(self, url: str, params: dict[str, str], event: Event) -> None:
        """One attempt: sign with a fresh timestamp, vet the host now, POST to the vetted address."""
        signed = self.signer.sign(url, params)
        try:
            target = await vetted_request(signed.url, self.allowed_networks, self.resolver)
        except Unresolvable as error:
            raise TransientError(error.detail) from error  # DNS may be back on the next attempt
        except ValidationFailed as error:
            raise CallbackRejected(error.detail) from error
        try:
            response = await self.http.post(
                target.url,
                data=params,
                # The receiver's logs can then be joined to the request that sent the message.
                headers={**signed.headers, **target.headers, **request_id_header(event)},
                extensions=target.extensions,
                timeout=self.timeout_s,
                # A redirect would lead to an address nobody vetted: it is an answer, not a path.
                follow_redirects=False,
            )
        except httpx.TransportError as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"receiver answered {response.status_code}")
        if response.status_code >= 300:
            raise CallbackRejected(f"receiver answered {response.status_code}")

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

        async def attempt() -> None:
            await self.post_once(url, params, event)

        with bound_to(event):
            if not url.startswith(("http://", "https://")):
                return GaveUp([Attempt(1, f"callback_url is not http(s): {url!r}", time.time())])
            async with self.limit:
                try:
                    await call_with_retries(attempt, self.backoff)
                except GaveUp as error:
                    return error
        return None
