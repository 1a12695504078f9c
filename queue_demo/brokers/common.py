"""What the RabbitMQ and JetStream adapters share: where the brokers are, the wire format, and the
verdict on a batch (ack, retry, dead-letter), reached exactly as the Redis consumer reaches it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

from backing_services import ServiceUnavailable
from queue_demo.consumer import Handler
from queue_demo.events import Event, MalformedEntry, parse_entry
from queue_demo.faults import CrashPoints


class BrokerSettings(BaseSettings):
    """`AMQP_URL` and `NATS_URL`; the defaults are the local servers CI starts."""

    model_config = SettingsConfigDict(extra="ignore")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    nats_url: str = "nats://127.0.0.1:4222"
    broker_connect_timeout_s: float = 3.0


def require_answering(name: str, url: str, env: str, timeout_s: float) -> None:
    """Open (and close) a TCP connection to the broker, or raise ServiceUnavailable in one line."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or (5672 if env == "AMQP_URL" else 4222)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as error:
        raise ServiceUnavailable(
            f"{name} is not answering at {host}:{port} ({env}): {error.strerror or error}"
        ) from None


def encode(event: Event) -> bytes:
    """The same flat field map the Redis stream stores, as one JSON object."""
    return json.dumps(event.to_fields(), separators=(",", ":")).encode()


def decode(message_id: str, body: bytes) -> Event:
    """Parse a message body into an Event, or raise MalformedEntry saying why."""
    try:
        fields = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedEntry("body is not JSON") from None
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise MalformedEntry("body is not a JSON object of strings")
    return parse_entry(message_id, fields)


@dataclass
class Verdict:
    """What to do with each message of a batch, by message id."""

    ack: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    dead: dict[str, str] = field(default_factory=dict)  # id -> reason


async def judge(
    handler: Handler, batch: Sequence[tuple[str, bytes]], crash_points: CrashPoints
) -> Verdict:
    """Apply the batch through `handler` (it commits the effect) and say what to ack.

    Malformed bodies and events the handler gave up on are dead letters; if the handler raises,
    every event is retried (the inbox makes the second application a no-op).
    """
    verdict = Verdict()
    events: list[Event] = []
    for message_id, body in batch:
        try:
            events.append(decode(message_id, body))
        except MalformedEntry as error:
            verdict.dead[message_id] = f"malformed: {error}"
    if not events:
        return verdict
    crash_points.reached("mid_batch")
    try:
        gave_up = await handler(events)
    except Exception:
        verdict.retry = [event.entry_id for event in events]
        return verdict
    crash_points.reached("commit_before_ack")
    for event in events:
        if event.entry_id in gave_up:
            verdict.dead[event.entry_id] = str(gave_up[event.entry_id])
        else:
            verdict.ack.append(event.entry_id)
    return verdict
