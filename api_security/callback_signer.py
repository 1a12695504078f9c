"""How do our own status callbacks prove who sent them, and when? Sign a URL that ends with a timestamp and an id.

Receivers check the signature with `RequestValidator`, then freshness and first use with `ReplayGuard`.
Twilio's scheme concatenates URL, names and values with no separators, so text can slide between
the end of the URL and the first body parameter without changing the signature. The stamp therefore
*ends* the URL in a strict form (digits, then 32 hex digits): any sliding breaks that form.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from api_security.signatures import SIGNATURE_HEADER, Params, RequestValidator

TIMESTAMP_PARAM = "CallbackTimestamp"
CALLBACK_ID_PARAM = "CallbackId"


@dataclass(frozen=True)
class SignedCallback:
    url: str
    headers: dict[str, str]


class CallbackSigner:
    """Stamp and sign an outgoing callback; POST `params` form-encoded to `.url` with `.headers`.

    >>> signed = CallbackSigner("secret").sign("https://example.com/status", {"Status": "sent"})
    >>> sorted(signed.headers)
    ['X-Twilio-Signature']
    """

    def __init__(self, auth_token: str, clock: Callable[[], float] = time.time) -> None:
        self._validator = RequestValidator(auth_token)
        self._clock = clock

    def sign(self, url: str, params: Params) -> SignedCallback:
        parts = urlsplit(url)
        # The stamp lives in the URL, which is signed, so it cannot be swapped without the token.
        # A customer's own params with our names are dropped (they would make the stamp ambiguous),
        # and so is the fragment, which is never sent and would sit after the stamp.
        query = [
            *(
                (name, value)
                for name, value in parse_qsl(parts.query, keep_blank_values=True)
                if name not in (TIMESTAMP_PARAM, CALLBACK_ID_PARAM)
            ),
            (TIMESTAMP_PARAM, str(int(self._clock()))),
            (CALLBACK_ID_PARAM, uuid.uuid4().hex),
        ]
        stamped = parts._replace(query=urlencode(query), fragment="").geturl()
        signature = self._validator.compute_signature(stamped, params)
        return SignedCallback(url=stamped, headers={SIGNATURE_HEADER: signature})
