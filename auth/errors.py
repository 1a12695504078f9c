"""What does each auth failure look like on the wire? RFC 9457 problems carrying the OAuth/RFC 6750 code.

Token-endpoint errors add `error` (RFC 6749 §5.2); resource errors add a `WWW-Authenticate` challenge (RFC 6750 §3).
"""

from __future__ import annotations

from error_handling.problems import DomainError, Forbidden, Unauthorized


class InvalidGrant(DomainError):
    """Wrong username/password, or a refresh token that is unknown, expired, reused or revoked."""

    status, slug = 400, "invalid-grant"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"error": "invalid_grant"})


class InvalidScope(DomainError):
    status, slug = 400, "invalid-scope"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"error": "invalid_scope"})


class UnsupportedGrantType(DomainError):
    status, slug = 400, "unsupported-grant-type"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"error": "unsupported_grant_type"})


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def missing_token(detail: str) -> Unauthorized:
    """No credentials at all: a bare challenge, no error code (RFC 6750 §3.1)."""
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def invalid_token(detail: str) -> Unauthorized:
    header = f'Bearer realm="api", error="invalid_token", error_description="{_quoted(detail)}"'
    return Unauthorized(
        detail, headers={"WWW-Authenticate": header}, extra={"error": "invalid_token"}
    )


def insufficient_scope(needed: str) -> Forbidden:
    detail = f"This request needs the scope {needed!r}."
    header = f'Bearer realm="api", error="insufficient_scope", scope="{_quoted(needed)}"'
    return Forbidden(
        detail, headers={"WWW-Authenticate": header}, extra={"error": "insufficient_scope"}
    )


def invalid_request(detail: str) -> DomainError:
    """A malformed request, such as a token in the URL (RFC 6750 §3.1: 400, error="invalid_request")."""
    header = f'Bearer realm="api", error="invalid_request", error_description="{_quoted(detail)}"'
    return DomainError(
        detail, headers={"WWW-Authenticate": header}, extra={"error": "invalid_request"}
    )
