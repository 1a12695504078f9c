"""How does a service publish an event only if its database change commits? A transactional outbox.

The event is a row written in the caller's transaction; the relay publishes it afterwards.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from queue_demo.events import Event
from queue_demo.settings import QueueSettings

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_BODY = 1600  # Twilio's limit for one message body, in characters
MESSAGE_QUEUED = "message.queued"

INSERT_OUTBOX = text(
    "INSERT INTO outbox (event_id, stream, event_type, payload, request_id, traceparent)"
    " VALUES (:event_id, :stream, :event_type, CAST(:payload AS jsonb), :request_id, :traceparent)"
)
INSERT_MESSAGE = text(
    "INSERT INTO messages (id, to_number, body, callback_url)"
    " VALUES (:id, :to_number, :body, :callback_url)"
)


async def add_to_outbox(
    session: AsyncSession,
    *,
    stream: str,
    event_type: str,
    payload: dict[str, Any],
    request_id: str = "",
    traceparent: str = "",
) -> Event:
    """Write an event for `stream` into the outbox, inside the session's current transaction."""
    event = Event(
        event_id=str(uuid.uuid4()),
        type=event_type,
        payload=payload,
        request_id=request_id,
        traceparent=traceparent,
    )
    await session.execute(
        INSERT_OUTBOX,
        {
            "event_id": event.event_id,
            "stream": stream,
            "event_type": event_type,
            "payload": json.dumps(payload),
            "request_id": request_id,
            "traceparent": traceparent,
        },
    )
    return event


class InvalidMessage(ValueError):
    """A message that cannot be queued; `errors` names each bad field (the API answers it as 422)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']} {e['message']}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class NewMessage:
    to: str
    body: str
    callback_url: str | None = None

    def validate(self) -> None:
        """Raise InvalidMessage naming every field that is wrong."""
        errors = []
        if not E164.fullmatch(self.to):
            errors.append({"field": "to", "message": "must be an E.164 number like +14155550100"})
        if not self.body.strip() or len(self.body) > MAX_BODY:
            errors.append({"field": "body", "message": f"must be 1 to {MAX_BODY} characters"})
        if self.callback_url is not None and not re.fullmatch(r"https?://\S+", self.callback_url):
            errors.append({"field": "callback_url", "message": "must be an http(s) URL"})
        if errors:
            raise InvalidMessage(errors)


async def create_message(
    session: AsyncSession,
    message: NewMessage,
    *,
    settings: QueueSettings,
    request_id: str = "",
    traceparent: str = "",
) -> str:
    """Store a message and its `message.queued` event in the session's transaction; return its id.

    The caller commits: both rows become visible together, or neither does.
    """
    message.validate()
    message_id = str(uuid.uuid4())
    await session.execute(
        INSERT_MESSAGE,
        {
            "id": message_id,
            "to_number": message.to,
            "body": message.body,
            "callback_url": message.callback_url,
        },
    )
    await add_to_outbox(
        session,
        stream=settings.stream,
        event_type=MESSAGE_QUEUED,
        payload={"message_id": message_id, "to": message.to, "body": message.body},
        request_id=request_id,
        traceparent=traceparent,
    )
    return message_id
