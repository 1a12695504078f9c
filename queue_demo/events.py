"""What travels on a stream: an event with an id, a type, a JSON payload and its trace context.

Parsing is strict; an entry that does not parse is a `MalformedEntry` with a reason, never a crash.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import msgspec

from error_handling.correlation import bound_correlation

REQUIRED_FIELDS = ("event_id", "type", "payload")
# A regex rather than uuid.UUID(): same answer for the canonical form, several times faster per entry.
UUID_TEXT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


class MalformedEntry(ValueError):
    """A stream entry that cannot become an Event; the message says why, for the dead-letter."""


# A frozen msgspec Struct rather than a frozen dataclass: as immutable, and built in C. A consumer
# builds one per entry, and the dataclass's generated __init__ (object.__setattr__ per field) cost
# 15,300 instructions a build against 1,400 (callgrind; queue_demo/README.md, Measured).
class Event(msgspec.Struct, frozen=True):
    event_id: str
    type: str
    payload: dict[str, Any]
    request_id: str = ""
    traceparent: str = ""
    # Seconds since the epoch when the event was created; end-to-end latency is measured from it.
    created_at: float = msgspec.field(default_factory=time.time)
    # The stream entry id this event was read from ("" before it is published).
    entry_id: str = ""

    def to_fields(self) -> dict[str, str]:
        """The flat string map XADD stores."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "payload": json.dumps(self.payload, separators=(",", ":")),
            "request_id": self.request_id,
            "traceparent": self.traceparent,
            "created_at": repr(self.created_at),
        }


def parse_entry(entry_id: str, fields: Mapping[str, str] | None) -> Event:
    """Turn one XREADGROUP entry into an Event, or raise MalformedEntry saying what is wrong."""
    if not fields:
        # XREADGROUP returns a pending id with no fields when the entry was trimmed away.
        raise MalformedEntry("entry was deleted from the stream while pending")
    event_id, kind, text = fields.get("event_id"), fields.get("type"), fields.get("payload")
    if not (event_id and kind and text):  # this runs per entry: name the missing ones only here
        missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
        raise MalformedEntry(f"missing field(s): {', '.join(missing)}")
    if not UUID_TEXT.fullmatch(event_id):
        raise MalformedEntry(f"event_id is not a UUID: {event_id!r}")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedEntry(f"payload is not JSON: {error.msg} at position {error.pos}") from None
    if not isinstance(payload, dict):
        raise MalformedEntry(f"payload is not a JSON object: {type(payload).__name__}")
    try:
        created_at = float(fields.get("created_at") or 0.0)
    except ValueError:
        raise MalformedEntry(f"created_at is not a number: {fields['created_at']!r}") from None
    return Event(
        event_id=event_id,
        type=kind,
        payload=payload,
        request_id=fields.get("request_id", ""),
        traceparent=fields.get("traceparent", ""),
        created_at=created_at,
        entry_id=entry_id,
    )


def bound_to(event: Event) -> AbstractContextManager[dict[str, str]]:
    """Log lines written while handling `event` carry its request id, trace context and event id.

    The ids came over the wire: error_handling's helper validates them (a bad one is replaced, never
    logged as it came) and makes this handling a child span of the producer's trace.
    """
    correlation = {"request_id": event.request_id, "traceparent": event.traceparent}
    return bound_correlation(correlation, event_id=event.event_id)
