"""How does REST let clients skip unchanged data? An ETag per representation, 304 on a match.

The ETag hashes the exact bytes sent, so any change to the resource gives a new one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, a list of tags, or `*`."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in candidates


def json_with_etag(request: Request, payload: Any, cache_control: str) -> Response:
    """200 with the JSON and its ETag, or 304 with no body when the client's copy is current."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    etag = entity_tag(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
