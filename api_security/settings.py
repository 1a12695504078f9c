"""Every knob of the security layers in one place, with defaults that are safe to ship.

Placeholder secrets are refused outside development; a wildcard CORS origin is refused with credentials.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backing_services import get_settings as get_service_settings

PLACEHOLDER = "development-only-change-me"
IPNetwork = IPv4Network | IPv6Network


class SecuritySettings(BaseSettings):
    """Environment variables are the field names prefixed with `API_SECURITY_`."""

    model_config = SettingsConfigDict(env_prefix="API_SECURITY_", extra="ignore")

    # The shared secret webhooks are signed with (Twilio calls it the auth token).
    webhook_auth_token: SecretStr = SecretStr(PLACEHOLDER)
    # Mixed into every API-key hash, kept out of the database: a stolen table alone verifies nothing.
    api_key_pepper: SecretStr = SecretStr(PLACEHOLDER)
    max_body_bytes: int = 64 * 1024
    allowed_content_types: list[str] = ["application/json", "application/x-www-form-urlencoded"]
    allowed_hosts: list[str] = ["localhost", "127.0.0.1", "testserver"]
    cors_allow_origins: list[str] = []
    cors_allow_credentials: bool = False
    # Peers whose X-Forwarded-Proto / X-Forwarded-Host we believe; everyone else's are ignored.
    trusted_proxies: list[IPNetwork] = []
    hsts_max_age_s: int = 63_072_000
    # How old (or how far in the future) a signed callback's timestamp may be.
    callback_tolerance_s: int = 300
    # Private networks outbound callbacks may reach anyway; empty in production, loopback in demos.
    outbound_allowed_networks: list[IPNetwork] = []

    @model_validator(mode="after")
    def refuse_unsafe_combinations(self) -> SecuritySettings:
        if "*" in self.cors_allow_origins and self.cors_allow_credentials:
            raise ValueError(
                "cors_allow_origins=['*'] with cors_allow_credentials=True lets any site act as the user; list the origins"
            )
        if get_service_settings().environment != "development":
            for name in ("webhook_auth_token", "api_key_pepper"):
                if getattr(self, name).get_secret_value() == PLACEHOLDER:
                    raise ValueError(
                        f"set API_SECURITY_{name.upper()}: the placeholder is for development only"
                    )
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        return self


@lru_cache
def get_security_settings() -> SecuritySettings:
    return SecuritySettings()
