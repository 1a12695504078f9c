"""Every knob of the auth answer in one place, read from `AUTH_*` environment variables.

Defaults are safe for local use; the placeholder key passphrase is refused in production.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backing_services import get_settings

PLACEHOLDER_PASSPHRASE = "change-me-outside-development"  # noqa: S105 - refused in production below


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", env_file=".env", extra="ignore")

    issuer: str = "https://auth.mini-twilio.local"
    audience: str = "https://api.mini-twilio.local"
    # `Ed25519` is RFC 9864's name for what RFC 8037 called `EdDSA` on that curve.
    signing_algorithm: Literal["Ed25519", "ES256"] = "Ed25519"
    access_token_ttl_s: int = 300
    refresh_token_ttl_s: int = 14 * 24 * 3600
    # Clock skew tolerated between the issuer and the API; RFC 8725 asks for "small".
    leeway_s: int = 30
    # Private signing keys are stored encrypted with this passphrase (a KMS holds it in production).
    key_passphrase: str = PLACEHOLDER_PASSPHRASE
    # OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1.
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Login throttling: a token bucket per username and one per client IP.
    login_per_username_capacity: int = 5
    login_per_username_refill_per_s: float = 1 / 60
    login_per_ip_capacity: int = 20
    login_per_ip_refill_per_s: float = 1 / 6
    # Sign-up throttling, per client IP: every attempt counts, free name or taken, so probing
    # which usernames exist costs an attacker as much as creating accounts does.
    register_per_ip_capacity: int = 5
    register_per_ip_refill_per_s: float = 1 / 60
    redis_prefix: str = "auth"
    # How often an instance re-reads the key ring, to pick up a rotation made by another instance.
    key_reload_s: int = 60

    @model_validator(mode="after")
    def refuse_placeholder_secret_in_production(self) -> AuthSettings:
        if (
            get_settings().environment == "production"
            and self.key_passphrase == PLACEHOLDER_PASSPHRASE
        ):
            raise ValueError("set AUTH_KEY_PASSPHRASE: the placeholder is for development only")
        return self
