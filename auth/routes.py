"""The HTTP face of the answer: register, token (password and refresh_token grants), logout, me, JWKS.

Token responses carry `Cache-Control: no-store` (RFC 6749 §5.1): no proxy or browser may keep a credential.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from auth.dependencies import AuthDep, CurrentPrincipal, require_scopes
from auth.errors import InvalidScope, UnsupportedGrantType
from auth.models import User
from auth.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from auth.refresh_tokens import MAX_REFRESH_TOKEN_CHARS
from auth.service import Principal
from auth.users import USERNAME_PATTERN, set_display_name, user_by_id
from error_handling.plain_text import PlainText
from error_handling.problems import NotFound, ValidationFailed

USER_GONE = "The user of this token no longer exists."
MISSING_FIELD = "The {grant} grant needs the form field {field!r}."
UNSUPPORTED_GRANT = "Supported grant types are 'password' and 'refresh_token'."
SCOPE_ON_REFRESH = (
    "The refresh_token grant keeps the session's scope; log in again for a different one."
)
MAX_SCOPE_CHARS = 256

router = APIRouter(tags=["auth"])


class Registration(BaseModel):
    # extra="forbid": a client sending {"role": "admin"} gets a 422, not an admin account.
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: PlainText = Field(min_length=1, max_length=64)


class UserOut(BaseModel):
    """What a user may see of themselves: never the password hash."""

    id: uuid.UUID
    username: str
    role: str
    display_name: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    expires_in: int
    refresh_token: str
    scope: str


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, username=user.username, role=user.role, display_name=user.display_name
    )


@router.post("/auth/users", status_code=status.HTTP_201_CREATED)
async def register(request: Request, body: Registration, auth: AuthDep) -> UserOut:
    """Sign up. A taken name is a 409 on purpose: see the README's "Does sign-up enumerate users?"."""
    # The role is the server's decision; self-registration always makes a plain "user".
    client_ip = request.client.host if request.client else "unknown"
    user = await auth.register(body.username, body.password, role="user", client_ip=client_ip)
    return _user_out(user)


@router.post("/auth/token")
async def token(
    request: Request,
    response: Response,
    auth: AuthDep,
    grant_type: Annotated[PlainText, Form(max_length=32)],
    username: Annotated[PlainText | None, Form(max_length=32)] = None,
    # Any character may be in a password (NIST SP 800-63B §3.1.1.2): it is only ever hashed.
    password: Annotated[str | None, Form(max_length=MAX_PASSWORD_CHARS)] = None,
    refresh_token: Annotated[PlainText | None, Form(max_length=MAX_REFRESH_TOKEN_CHARS)] = None,
    scope: Annotated[PlainText | None, Form(max_length=MAX_SCOPE_CHARS)] = None,
) -> TokenResponse:
    """OAuth 2.0 token endpoint. The password grant serves this demo; see the README for code + PKCE."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if grant_type == "password":
        if username is None:
            raise ValidationFailed(MISSING_FIELD.format(grant=grant_type, field="username"))
        if password is None:
            raise ValidationFailed(MISSING_FIELD.format(grant=grant_type, field="password"))
        client_ip = request.client.host if request.client else "unknown"
        pair = await auth.login(username, password, scope, client_ip)
    elif grant_type == "refresh_token":
        if refresh_token is None:
            raise ValidationFailed(MISSING_FIELD.format(grant=grant_type, field="refresh_token"))
        if scope is not None:  # refused, not silently ignored
            raise InvalidScope(SCOPE_ON_REFRESH)
        pair = await auth.refresh(refresh_token)
    else:
        raise UnsupportedGrantType(UNSUPPORTED_GRANT)
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        scope=pair.scope,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, auth: AuthDep) -> None:
    await auth.logout(principal)


@router.get("/auth/me")
async def me(
    principal: Annotated[Principal, require_scopes("profile:read")], auth: AuthDep
) -> UserOut:
    user = await user_by_id(auth.sessions, principal.user_id)
    if user is None:
        raise NotFound(USER_GONE)
    return _user_out(user)


@router.patch("/auth/me")
async def update_me(
    body: ProfileUpdate,
    principal: Annotated[Principal, require_scopes("profile:write")],
    auth: AuthDep,
) -> UserOut:
    user = await set_display_name(auth.sessions, principal.user_id, body.display_name)
    if user is None:
        raise NotFound(USER_GONE)
    return _user_out(user)


@router.get("/.well-known/jwks.json")
async def jwks(response: Response, auth: AuthDep) -> dict[str, list[dict[str, Any]]]:
    # Short cache: verifiers see a new key within a minute, well inside the rotation overlap.
    response.headers["Cache-Control"] = "public, max-age=60"
    return (await auth.key_ring()).jwks(auth.clock())
