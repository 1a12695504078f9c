"""How do you secure an API endpoint? In layers, each one a control with a test that proves it."""

from api_security.api_key_routes import RequireScope, api_key_router
from api_security.api_keys import ApiKeyStore
from api_security.callback_signer import CallbackSigner
from api_security.install import install_security
from api_security.replay_guard import ReplayGuard
from api_security.settings import SecuritySettings, get_security_settings
from api_security.signatures import RequestValidator
from api_security.ssrf import check_outbound_url
from api_security.webhooks import SignedWebhook, WebhookVerifier

__all__ = [
    "ApiKeyStore",
    "CallbackSigner",
    "ReplayGuard",
    "RequestValidator",
    "RequireScope",
    "SecuritySettings",
    "SignedWebhook",
    "WebhookVerifier",
    "api_key_router",
    "check_outbound_url",
    "get_security_settings",
    "install_security",
]
