"""How does an endpoint accept only genuine webhooks? A dependency that rebuilds the signed URL and checks it.

Form bodies are checked as params; JSON bodies through the `bodySHA256` the signed URL carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

import redis.asyncio
from fastapi import Header, Request

from api_security.public_url import public_url
from api_security.replay_guard import ReplayGuard
from api_security.settings import SecuritySettings
from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from error_handling.problems import DomainError, Forbidden

MISSING_SIGNATURE = f"The {SIGNATURE_HEADER} header is missing; webhooks must be signed."
BAD_SIGNATURE = f"The {SIGNATURE_HEADER} header does not match this URL and body."
NOT_UTF8 = "The form body is not UTF-8."
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SignedWebhook:
    """What the route may now trust: the public URL, the form pairs (empty for JSON) and the raw body."""

    url: str
    params: list[tuple[str, str]]
    body: bytes


class WebhookVerifier:
    """A FastAPI dependency: `webhook: Annotated[SignedWebhook, Depends(WebhookVerifier(settings))]`.

    With `replay_protection=True` (our own callbacks, which carry a timestamp and an id) each
    callback is also admitted once, inside the tolerance window, using `app.state.redis`.
    """

    def __init__(self, settings: SecuritySettings, *, replay_protection: bool = False) -> None:
        self._validator = RequestValidator(settings.webhook_auth_token.get_secret_value())
        self._trusted_proxies = settings.trusted_proxies
        self._tolerance_s = settings.callback_tolerance_s
        self._replay_protection = replay_protection

    async def __call__(
        self,
        request: Request,
        signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    ) -> SignedWebhook:
        if not signature:
            raise Forbidden(MISSING_SIGNATURE)
        url = public_url(request, self._trusted_proxies)
        body = await request.body()
        params: list[tuple[str, str]] = []
        if request.headers.get("content-type", "").split(";")[0].strip() == FORM:
            try:
                params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                raise DomainError(NOT_UTF8) from None
            valid = self._validator.validate(url, params, signature)
        elif body:
            valid = self._validator.validate(url, body, signature)
        else:
            valid = self._validator.validate(url, params, signature)
        if not valid:
            raise Forbidden(BAD_SIGNATURE)
        if self._replay_protection:
            client: redis.asyncio.Redis = request.app.state.redis
            await ReplayGuard(client, self._tolerance_s).admit(url)
        return SignedWebhook(url=url, params=params, body=body)
