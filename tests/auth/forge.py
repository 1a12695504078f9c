"""Build tokens the way an attacker would: any header, any claims, any signature (or none).

PyJWT refuses to make most of these (it won't HMAC with a public key), so the JWS is assembled by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from auth.keys import Key
from auth.settings import AuthSettings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], payload: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def claims(settings: AuthSettings, subject: str, **overrides: Any) -> dict[str, Any]:
    """A complete, valid claim set; pass `name=None` to drop a claim."""
    now = int(time.time())
    base = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "scope": "profile:read",
        "sid": "00000000-0000-0000-0000-000000000000",
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def signed_with(key: Key, payload: dict[str, Any], **header: Any) -> str:
    """Signed with our real private key: only the claims or header are wrong; `name=None` drops a member."""
    full_header = {"alg": key.algorithm, "typ": "at+jwt", "kid": key.kid, **header}
    full_header = {name: value for name, value in full_header.items() if value is not None}
    return compact(full_header, payload, lambda data: _sign(key, data))


def _sign(key: Key, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    assert isinstance(key.private_key, ed25519.Ed25519PrivateKey)
    return key.private_key.sign(data)


def hmac_with(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def no_signature(_: bytes) -> bytes:
    return b""


def header_and_payload(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two JSON parts of a compact JWS, unverified: what an attacker can read off any token."""
    header, payload, _ = token.split(".")

    def decoded(part: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return value

    return decoded(header), decoded(payload)


def header_of(token: str) -> dict[str, Any]:
    return header_and_payload(token)[0]
