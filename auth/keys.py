"""Which key signs, and which keys still verify? A key ring: one signing key, older keys until they retire.

Each key is pinned to one algorithm; its `kid` is its RFC 7638 thumbprint; the ring is published as a JWKS.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
# RFC 9864 (2025) deprecates the polymorphic JOSE name `EdDSA` for the fully specified `Ed25519`.
# New keys are pinned to `Ed25519`; a key made before the rename keeps `EdDSA` until it retires.
ALGORITHMS = ("Ed25519", "ES256")
LEGACY_ALGORITHMS = ("EdDSA",)


class Ed25519Algorithm(OKPAlgorithm):
    """`Ed25519` as RFC 9864 §2.2 defines it: EdDSA on that one curve, so an Ed448 key is refused.

    PyJWT 2.15 ships only `EdDSA` (RFC 9864 support is its open issue #1190), so we register it.
    """

    def prepare_key(self, key: Any) -> Any:
        prepared = super().prepare_key(key)
        if not isinstance(prepared, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
            raise jwt.InvalidKeyError("the Ed25519 algorithm needs an Ed25519 key")
        return prepared


if "Ed25519" not in jwt.algorithms.get_default_algorithms():  # a future PyJWT brings its own
    jwt.register_algorithm("Ed25519", Ed25519Algorithm())
# The members RFC 7638 hashes for each key type, in its canonical (sorted) order.
THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm in ("Ed25519", *LEGACY_ALGORITHMS):
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported signing algorithm {algorithm!r}; choose one of {ALGORITHMS}")


def public_jwk(public_key: PublicKey) -> dict[str, Any]:
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return OKPAlgorithm.to_jwk(public_key, as_dict=True)
    return ECAlgorithm.to_jwk(public_key, as_dict=True)


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members as compact, sorted JSON, base64url without padding."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Key:
    kid: str
    algorithm: str
    private_key: PrivateKey
    created_at: float
    retire_at: float | None = None

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        return {**public_jwk(self.public_key), "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def verifies_at(self, now: float) -> bool:
        return self.retire_at is None or now < self.retire_at


def new_key(algorithm: str, now: float) -> Key:
    private_key = generate_private_key(algorithm)
    kid = thumbprint(public_jwk(private_key.public_key()))
    return Key(kid=kid, algorithm=algorithm, private_key=private_key, created_at=now)


@dataclass(frozen=True)
class KeyRing:
    """Keys newest first; the newest unretired key signs, every key not yet retired verifies.

    >>> ring = KeyRing((new_key("Ed25519", now),))
    >>> ring.signing_key().kid, ring.verification_key(kid, now), ring.jwks(now)
    """

    keys: tuple[Key, ...]

    def signing_key(self) -> Key:
        for key in self.keys:
            if key.retire_at is None:
                return key
        raise LookupError("the key ring has no active signing key")

    def verification_key(self, kid: str, now: float) -> Key | None:
        for key in self.keys:
            if key.kid == kid and key.verifies_at(now):
                return key
        return None

    def jwks(self, now: float) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [key.jwk() for key in self.keys if key.verifies_at(now)]}
