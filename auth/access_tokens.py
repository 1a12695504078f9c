"""How is an access token made and checked? A short-lived JWT (RFC 9068 `at+jwt`), verified by one strict function.

The verifier pins the algorithm to the key, requires every claim, and never fetches keys a token points at.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import jwt

from auth.keys import KeyRing

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "scope", "sid")
# Header members that name where to fetch a key (RFC 8725 §3.10 / RFC 7515 §4.1): a key comes only from our ring.
KEY_LOCATION_HEADERS = ("jku", "x5u", "jwk", "x5c")
MAX_TOKEN_BYTES = 4096
KID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")

TOO_LARGE = f"The access token is longer than {MAX_TOKEN_BYTES} bytes."
MALFORMED = "The access token is not a well-formed JWT."
WRONG_TYPE = "The token is not an access token (typ must be at+jwt)."
KEY_LOCATION = (
    "The token names a key location (jku, x5u, jwk or x5c); keys come only from our key set."
)
UNKNOWN_KID = "The token's key id (kid) is not one of our current keys."
WRONG_ALGORITHM = "The token's algorithm is not the one its key is pinned to."
BAD_SIGNATURE = "The token's signature does not verify."
EXPIRED = "The access token has expired."
NOT_YET_VALID = "The access token is not valid yet (nbf or iat is in the future)."
WRONG_AUDIENCE = "The access token is not meant for this API (aud)."
WRONG_ISSUER = "The access token was not issued by this server (iss)."
MISSING_CLAIM = "The access token lacks the required claim {claim!r}."
BAD_CLAIM = "The access token has a malformed claim."


class InvalidAccessToken(Exception):
    """The token is refused; the message is safe to show the client (RFC 6750 error_description)."""


@dataclass(frozen=True)
class Claims:
    subject: str
    scopes: frozenset[str]
    token_id: str
    session_id: str
    expires_at: int


def issue_access_token(
    ring: KeyRing,
    *,
    issuer: str,
    audience: str,
    subject: str,
    scope: str,
    session_id: str,
    now: int,
    ttl_s: int,
) -> str:
    key = ring.signing_key()
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "jti": secrets.token_urlsafe(16),
        "scope": scope,
        "sid": session_id,
    }
    headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers=headers)


def verify_access_token(
    token: str, ring: KeyRing, *, issuer: str, audience: str, leeway_s: int, now: float
) -> Claims:
    """Every check RFC 8725 asks for, in the order that does the least work for a bad token."""
    if len(token.encode()) > MAX_TOKEN_BYTES:
        raise InvalidAccessToken(TOO_LARGE)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:  # not base64url/JSON, or a header member of the wrong type
        raise InvalidAccessToken(MALFORMED) from None
    if header.get("typ") != ACCESS_TOKEN_TYPE:
        raise InvalidAccessToken(WRONG_TYPE)
    if any(name in header for name in KEY_LOCATION_HEADERS):
        raise InvalidAccessToken(KEY_LOCATION)
    kid = header.get("kid")
    key = (
        ring.verification_key(kid, now)
        if isinstance(kid, str) and KID_SHAPE.fullmatch(kid)
        else None
    )
    if key is None:
        raise InvalidAccessToken(UNKNOWN_KID)
    # The key, not the token, decides the algorithm: this is what stops `none` and HS256-with-the-public-key.
    if header.get("alg") != key.algorithm:
        raise InvalidAccessToken(WRONG_ALGORITHM)
    payload = _decode(token, key.public_key, key.algorithm, issuer, audience, leeway_s)
    scope, sid = payload["scope"], payload["sid"]
    if not isinstance(scope, str) or not isinstance(sid, str):
        raise InvalidAccessToken(BAD_CLAIM)
    return Claims(
        subject=payload["sub"],
        scopes=frozenset(scope.split()),
        token_id=payload["jti"],
        session_id=sid,
        expires_at=int(payload["exp"]),
    )


def _decode(
    token: str, key: Any, algorithm: str, issuer: str, audience: str, leeway_s: int
) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=leeway_s,
            options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
        )
    except jwt.InvalidSignatureError:
        raise InvalidAccessToken(BAD_SIGNATURE) from None
    except jwt.ExpiredSignatureError:
        raise InvalidAccessToken(EXPIRED) from None
    except jwt.ImmatureSignatureError:
        raise InvalidAccessToken(NOT_YET_VALID) from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidAccessToken(MISSING_CLAIM.format(claim=error.claim)) from None
    except jwt.InvalidAudienceError:
        raise InvalidAccessToken(WRONG_AUDIENCE) from None
    except jwt.InvalidIssuerError:
        raise InvalidAccessToken(WRONG_ISSUER) from None
    except jwt.DecodeError:
        raise InvalidAccessToken(MALFORMED) from None
    except jwt.InvalidTokenError:
        raise InvalidAccessToken(BAD_CLAIM) from None
