"""How does a route say who may call it? `Security(current_principal, scopes=[...])`, checked in this one place.

401 means "who are you?" (no or bad token); 403 means "I know you, and you may not" (RFC 6750 §3.1).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from auth.errors import insufficient_scope, invalid_request, missing_token
from auth.policy import ROLE_SCOPES
from auth.service import AuthService, Principal

NO_TOKEN = "This request needs a bearer access token in the Authorization header."  # noqa: S105 - messages, not secrets
TOKEN_IN_URL = "Access tokens are accepted only in the Authorization header, never in the URL."  # noqa: S105
QUERY_TOKEN_NAMES = ("access_token", "token", "bearer")

# Documents the scheme and scopes in OpenAPI; auto_error=False so errors are ours (problem+json).
bearer = OAuth2PasswordBearer(
    tokenUrl="/auth/token",
    scopes={scope: scope for scope in sorted(set().union(*ROLE_SCOPES.values()))},
    auto_error=False,
)


async def get_auth(request: Request) -> AuthService:
    # `async` on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop per request.
    service: AuthService = request.app.state.auth
    return service


AuthDep = Annotated[AuthService, Depends(get_auth)]


async def current_principal(
    security_scopes: SecurityScopes,
    request: Request,
    auth: AuthDep,
    token: Annotated[str | None, Depends(bearer)],
) -> Principal:
    # URLs end up in logs, Referer headers and browser history (RFC 6750 §2.3, RFC 9700 §4.3.2).
    if any(name in request.query_params for name in QUERY_TOKEN_NAMES):
        raise invalid_request(TOKEN_IN_URL)
    if not token:
        raise missing_token(NO_TOKEN)
    principal = await auth.authenticate(token)
    for scope in security_scopes.scopes:
        if scope not in principal.scopes:
            raise insufficient_scope(scope)
    return principal


CurrentPrincipal = Annotated[Principal, Security(current_principal)]


def require_scopes(*scopes: str) -> Any:
    """Use as `principal: Annotated[Principal, require_scopes("messages:read")]`."""
    return Security(current_principal, scopes=list(scopes))
