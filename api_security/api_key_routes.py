"""How do routes demand an API key and a scope? One dependency per scope; 401 for who, 403 for what.

The router lets a key holder create (secret returned once), list (never a secret) and revoke keys.
"""

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api_security.api_keys import SID_PATTERN, ApiKey, ApiKeyStore
from api_security.problem_docs import problem_responses
from api_security.settings import SecuritySettings
from error_handling.problems import Forbidden, NotFound, Unauthorized

Scope = Literal["api-keys:read", "api-keys:write", "messages:write"]
SCOPES: tuple[str, ...] = get_args(Scope)
MAX_PAGE_SIZE = 100
CHALLENGE = {"WWW-Authenticate": 'Basic realm="api"'}

NO_CREDENTIALS = (
    "Send the API key as HTTP Basic credentials: the key SID as user, the secret as password."
)
MALFORMED = "The Authorization header is not valid HTTP Basic credentials."
ESCALATION = "A key cannot grant scopes it does not hold itself: {missing}."


class ApiKeyCreate(BaseModel):
    # Unknown fields are refused, not ignored: `{"revoked_at": null, "secret_hash": …}` is an attack.
    model_config = ConfigDict(extra="forbid")

    # No control characters: PostgreSQL text refuses NUL, and logs should not carry the rest.
    # (The fuzzer found the NUL: it was a 500 before this pattern.)
    friendly_name: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))


class ApiKeyOut(BaseModel):
    sid: str
    friendly_name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "ApiKeyOut":
        return cls.model_validate(key, from_attributes=True)


class NewApiKeyOut(ApiKeyOut):
    secret: str = Field(description="Shown once; only a hash of it is kept.")


def store_for(request: Request, settings: SecuritySettings) -> ApiKeyStore:
    """The composed app keeps its engine on `app.state.engine`; so does the demo app."""
    return ApiKeyStore(request.app.state.engine, settings.api_key_pepper.get_secret_value())


def basic_credentials(authorization: str | None) -> tuple[str, str]:
    if not authorization:
        raise Unauthorized(NO_CREDENTIALS, headers=CHALLENGE)
    scheme, _, encoded = authorization.partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(MALFORMED, headers=CHALLENGE) from None
    sid, colon, secret = decoded.partition(":")
    if scheme.lower() != "basic" or not colon or not sid or not secret:
        raise Unauthorized(MALFORMED, headers=CHALLENGE)
    return sid, secret


class RequireScope:
    """`Depends(RequireScope(settings, "messages:write"))` yields the caller's key or refuses."""

    def __init__(self, settings: SecuritySettings, scope: Scope) -> None:
        self._settings = settings
        self.scope = scope

    async def __call__(self, request: Request) -> ApiKey:
        sid, secret = basic_credentials(request.headers.get("authorization"))
        verdict = await store_for(request, self._settings).authenticate(sid, secret)
        if verdict.key is None:
            raise Unauthorized(verdict.reason or "", headers=CHALLENGE)
        if self.scope not in verdict.key.scopes:
            raise Forbidden(f"This API key lacks the scope {self.scope!r}.")
        return verdict.key


def api_key_router(settings: SecuritySettings) -> APIRouter:
    router = APIRouter(
        prefix="/api-keys", tags=["api keys"], responses=problem_responses(401, 403, 422)
    )
    Reader = Annotated[ApiKey, Depends(RequireScope(settings, "api-keys:read"))]
    Writer = Annotated[ApiKey, Depends(RequireScope(settings, "api-keys:write"))]

    @router.post("", status_code=201, responses=problem_responses(413, 415))
    async def create_api_key(body: ApiKeyCreate, caller: Writer, request: Request) -> NewApiKeyOut:
        missing = sorted(set(body.scopes) - set(caller.scopes))
        if missing:
            raise Forbidden(ESCALATION.format(missing=", ".join(missing)))
        # The new key acts for the caller's account: object-level authorisation, not just scopes.
        new = await store_for(request, settings).create(
            body.friendly_name, list(body.scopes), owner=caller.owner
        )
        return NewApiKeyOut(**ApiKeyOut.of(new.key).model_dump(), secret=new.secret)

    @router.get("")
    async def list_api_keys(
        caller: Reader,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> list[ApiKeyOut]:
        keys = await store_for(request, settings).page(caller.owner, limit, offset)
        return [ApiKeyOut.of(key) for key in keys]

    @router.delete("/{sid}", status_code=204, responses=problem_responses(404))
    async def revoke_api_key(
        sid: Annotated[str, Path(pattern=SID_PATTERN)], caller: Writer, request: Request
    ) -> Response:
        if await store_for(request, settings).revoke(sid, owner=caller.owner) is None:
            raise NotFound(f"No API key {sid}.")
        return Response(status_code=204)

    return router
