"""How does one id find a message's whole life? It is bound to the log context and copied onward.

The API binds `request_id` and `traceparent`; producers copy them into messages; workers bind them back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

import structlog

from error_handling.traceparent import new_traceparent, parse_traceparent

# Short and plain so an incoming id cannot forge log fields or flood a line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CORRELATION_FIELDS = ("request_id", "traceparent")


def is_well_formed_request_id(value: str | None) -> bool:
    return value is not None and _REQUEST_ID.match(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_correlation() -> dict[str, str]:
    """The ids bound to this request or task, as plain strings to put in a message or outbox row."""
    bound = structlog.contextvars.get_contextvars()
    return {name: str(bound[name]) for name in CORRELATION_FIELDS if name in bound}


class bound_correlation:  # named like contextlib.suppress: it is used as a function, in `with`
    """Bind a message's ids (and any `extra` fields) while it is handled, then restore the context.

    Malformed or missing ids are replaced by fresh ones rather than logged as they came. A class
    rather than a @contextmanager generator: a worker enters one per message, and the generator's
    machinery cost as much as the binding itself.
    """

    def __init__(self, fields: Mapping[str, object], **extra: str) -> None:
        request_id = fields.get("request_id")
        parent = parse_traceparent(str(fields.get("traceparent") or "") or None)
        # The worker's handling is a new span of the producer's trace.
        span = parent.child() if parent else new_traceparent()
        self.ids = {
            "request_id": request_id
            if isinstance(request_id, str) and is_well_formed_request_id(request_id)
            else new_request_id(),
            "traceparent": str(span),
            "trace_id": span.trace_id,
        }
        self.extra = extra

    def __enter__(self) -> dict[str, str]:
        # One bind and a reset by token: a worker binds once per message, and structlog's
        # bound_contextvars (copy the context, unbind, rebind) costs several times as much.
        self.tokens = structlog.contextvars.bind_contextvars(**self.ids, **self.extra)
        return self.ids

    def __exit__(self, *exc_info: object) -> None:
        structlog.contextvars.reset_contextvars(**self.tokens)
