"""How do you know a webhook came from who it claims? Twilio's scheme: HMAC-SHA1 over URL + sorted params.

Same contract as twilio-python's `RequestValidator`, but JSON bodies fail closed and comparison is `hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlsplit, urlunsplit

# Form params as a mapping (`dict`, Starlette's `FormData`) or as (name, value) pairs; a JSON
# webhook passes its raw body instead, and the URL carries the body's hash.
Params = Mapping[str, str] | Iterable[tuple[str, str]]
Body = str | bytes

BODY_HASH_PARAM = "bodySHA256"
SIGNATURE_HEADER = "X-Twilio-Signature"
DEFAULT_PORTS = {"https": 443, "http": 80}


def _pairs(params: Params) -> list[tuple[str, str]]:
    """Every (name, value) pair, keeping repeated names (a multi-dict's `multi_items`)."""
    multi_items = getattr(params, "multi_items", None)
    if callable(multi_items):
        return list(multi_items())
    if isinstance(params, Mapping):
        return list(params.items())
    return list(params)


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))


def _with_default_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is not None or parts.scheme not in DEFAULT_PORTS:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{DEFAULT_PORTS[parts.scheme]}"))


class RequestValidator:
    """Sign and check requests the way Twilio does.

    >>> validator = RequestValidator("12345")
    >>> signature = validator.compute_signature("https://example.com/hook", {"Body": "hi"})
    >>> validator.validate("https://example.com/hook", {"Body": "hi"}, signature)
    True
    """

    def __init__(self, auth_token: str) -> None:
        if not auth_token:
            raise ValueError("auth_token must not be empty: an empty HMAC key signs nothing")
        self._key = auth_token.encode("utf-8")

    def compute_signature(self, url: str, params: Params | None = None) -> str:
        """Base64 HMAC-SHA1 of the URL followed by each name+value, sorted by name then value.

        As twilio-python does (`sorted(set(values))` per name), an identical repeated pair counts once.
        """
        pairs = sorted(set(_pairs(params or {})))
        message = url + "".join(name + value for name, value in pairs)
        digest = hmac.new(self._key, message.encode("utf-8"), hashlib.sha1).digest()
        return base64.b64encode(digest).decode("ascii")

    @staticmethod
    def compute_hash(body: Body) -> str:
        """Hex SHA-256 of the raw body, the value of the `bodySHA256` query parameter."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return hashlib.sha256(raw).hexdigest()

    def validate(self, url: str, params: Params | Body | None, signature: str | None) -> bool:
        """True when `signature` signs this URL and these params (or this raw JSON body).

        Every argument is attacker data, so malformed input (a port that is not a number, an
        unclosed bracket, a lone surrogate) is simply not signed: False, never an exception.
        """
        try:
            return self._validate(url, params, signature)
        except ValueError:  # UnicodeError is a ValueError too
            return False

    def _validate(self, url: str, params: Params | Body | None, signature: str | None) -> bool:
        """The URL is tried as given, without its port and with the scheme's default port, because
        the signer and the receiver often disagree about ports behind load balancers.
        """
        if not signature:
            return False
        urlsplit(url).port  # noqa: B018 - raises ValueError for a port no request could carry
        body_hashes = parse_qs(urlsplit(url).query).get(BODY_HASH_PARAM)
        signed_params: Params
        if isinstance(params, str | bytes):
            # A raw body is trusted only through the hash the signed URL carries: no hash, no trust.
            if body_hashes is None or len(body_hashes) != 1:
                return False
            # Bytes, not str: compare_digest raises on non-ASCII str, and the URL is attacker input.
            claimed = body_hashes[0].encode("utf-8")
            if not hmac.compare_digest(self.compute_hash(params).encode("ascii"), claimed):
                return False
            signed_params = {}
        elif body_hashes is not None:
            # The URL says the payload was a JSON body, yet we were handed parsed params: the body
            # itself was never checked. twilio-python passes this; we fail closed.
            return False
        else:
            signed_params = params or {}
        candidates = dict.fromkeys((url, _without_port(url), _with_default_port(url)))
        expected = signature.encode("utf-8")
        # Check every candidate, not just until the first match, so timing says nothing about which.
        matches = [
            hmac.compare_digest(self.compute_signature(c, signed_params).encode("ascii"), expected)
            for c in candidates
        ]
        return any(matches)
