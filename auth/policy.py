"""Which scopes may a token carry? Those the server's policy grants the user's role — never the request's wish.

A client may ask for fewer (down-scoping); asking for more is refused with `invalid_scope` (RFC 6749 §5.2).
"""

from __future__ import annotations

from auth.errors import InvalidScope

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"profile:read", "messages:read"}),
    "user": frozenset({"profile:read", "profile:write", "messages:read", "messages:write"}),
    # `accounts:any` lifts the object-level check: an admin may read any account's messages.
    "admin": frozenset(
        {"profile:read", "profile:write", "messages:read", "messages:write", "accounts:any"}
    ),
}
ROLES = tuple(ROLE_SCOPES)


def grant_scopes(role: str, requested: str | None) -> frozenset[str]:
    """The role's scopes, or the requested subset of them; anything beyond the role is an error."""
    allowed = ROLE_SCOPES.get(role, frozenset())
    if requested is None or not requested.strip():
        return allowed
    wanted = frozenset(requested.split())
    beyond = sorted(wanted - allowed)
    if beyond:
        raise InvalidScope(f"Scope {beyond[0]!r} is not granted to role {role!r}.")
    return wanted


def format_scope(scopes: frozenset[str]) -> str:
    return " ".join(sorted(scopes))
