"""Describe how you would implement authentication and authorization.

Argon2id passwords, short Ed25519 access JWTs with one strict verifier, rotating refresh-token families, scopes by role.
"""

from auth.app import build_auth_service, create_auth_app, create_tables
from auth.dependencies import CurrentPrincipal, current_principal, get_auth, require_scopes
from auth.messages import router as messages_router
from auth.routes import router
from auth.service import AuthService, Principal
from auth.settings import AuthSettings

__all__ = [
    "AuthService",
    "AuthSettings",
    "CurrentPrincipal",
    "Principal",
    "build_auth_service",
    "create_auth_app",
    "create_tables",
    "current_principal",
    "get_auth",
    "messages_router",
    "require_scopes",
    "router",
]
