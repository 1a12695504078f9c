"""How does one trace cross services? In a W3C `traceparent` header: version-traceid-spanid-flags.

Parse what arrives, refuse what is malformed, and start a child span for each hop.
"""

from __future__ import annotations

import re
import secrets
from typing import NamedTuple

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class TraceParent(NamedTuple):
    # A NamedTuple, not a frozen dataclass: a worker builds two for every message it handles, and
    # a frozen dataclass sets each field through object.__setattr__, which costs twice as much.
    trace_id: str
    parent_id: str
    flags: str = "01"

    def __str__(self) -> str:
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags}"

    def child(self) -> TraceParent:
        """The same trace, a new span: what this hop sends onward."""
        return TraceParent(self.trace_id, secrets.token_hex(8), self.flags)


def new_traceparent() -> TraceParent:
    """A fresh trace, sampled: used when a request arrives without a usable header."""
    return TraceParent(secrets.token_hex(16), secrets.token_hex(8))


def parse_traceparent(header: str | None) -> TraceParent | None:
    """The header's fields, or None if absent or malformed (the spec says: start a new trace)."""
    if header is None:
        return None
    match = _TRACEPARENT.match(header.strip())
    if match is None:
        return None
    trace_id, parent_id, flags = match.groups()
    # All-zero ids are invalid by the spec, however well-formed they look.
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return TraceParent(trace_id, parent_id, flags)
