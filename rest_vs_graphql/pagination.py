"""How do both twins page through a list? Keyset pages behind an opaque token.

The token encodes the last row's (created_at, sid); REST calls it `PageToken`, GraphQL `after`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from error_handling.problems import DomainError, ValidationFailed

T = TypeVar("T")

BAD_TOKEN = "The page token is not one this API issued; start again from the first page."  # noqa: S105 - a message, not a secret


MAX_TOKEN_LENGTH = 200


class InvalidPageToken(DomainError):
    status, slug = 400, "invalid-page-token"


@dataclass(frozen=True)
class Position:
    """Where a page ends: newest-first order is (created_at DESC, sid DESC)."""

    created_at: datetime
    sid: str


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


def encode_token(position: Position) -> str:
    raw = json.dumps([position.created_at.isoformat(), position.sid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> Position:
    if len(token) > MAX_TOKEN_LENGTH:  # ours are ~90 characters; a long one is not ours
        raise InvalidPageToken(BAD_TOKEN)
    try:
        padded = token + "=" * (-len(token) % 4)
        created_at, sid = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = Position(datetime.fromisoformat(created_at), str(sid))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidPageToken(BAD_TOKEN) from None
    if position.created_at.tzinfo is None:
        raise InvalidPageToken(BAD_TOKEN)
    return position


def check_page_size(page_size: int, maximum: int) -> int:
    if not 1 <= page_size <= maximum:
        raise ValidationFailed(
            f"PageSize must be between 1 and {maximum}; got {page_size}.",
            errors=[{"field": "PageSize", "message": f"between 1 and {maximum}"}],
        )
    return page_size
