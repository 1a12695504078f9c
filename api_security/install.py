"""How are the layers put on an app? In one call, outermost first, so every refusal still gets every header.

Order (outside in): security headers, trusted hosts, CORS, body size, content type, then the routes.
"""

from __future__ import annotations

from fastapi import FastAPI

from api_security.body_limit import BodySizeLimitMiddleware
from api_security.content_type import ContentTypeMiddleware
from api_security.cors import AllowListCORSMiddleware
from api_security.security_headers import SecurityHeadersMiddleware
from api_security.settings import SecuritySettings
from api_security.trusted_hosts import TrustedHostMiddleware


def install_security(app: FastAPI, settings: SecuritySettings) -> None:
    """Add the hardening middleware; `add_middleware` wraps, so the last added runs first.

    Call it after `error_handling.install_error_handling`, so these headers also wrap its 500s.
    """
    app.add_middleware(ContentTypeMiddleware, allowed=settings.allowed_content_types)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # CORS sits outside the body checks so a browser can read why its request was refused.
    app.add_middleware(
        AllowListCORSMiddleware,
        allow_origins=settings.cors_allow_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware, hsts_max_age_s=settings.hsts_max_age_s)
