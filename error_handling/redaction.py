"""Which secrets can reach a log line? None: this processor scrubs them by key name and by shape.

It runs last before rendering, so it also covers library logs, exception text and tracebacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

REDACTED = "[REDACTED]"

# A key is sensitive when its name contains one of these words (case and separators ignored).
SENSITIVE_KEY_WORDS = (
    "authorization",
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "signature",
    "cookie",
    "privatekey",
    "credential",
)

# Secrets that hide in free text: an exception message, a URL, a header dumped whole.
_VALUE_PATTERNS = (
    # `Bearer abcd…`, `Basic dXNl…` as sent in an Authorization header (8+ characters, so
    # "basic plan" survives).
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 " + REDACTED),
    # A JWT: three base64url parts, the first always starting `eyJ` (`{"`).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Credentials inside a URL: scheme://user:password@host.
    (re.compile(r"(\w+://[^/\s:@]+):[^@\s/]+@"), r"\1:" + REDACTED + "@"),
    # key=value pairs in query strings, DSNs and messages: password=…, token=…, api_key=….
    (
        re.compile(
            r"\b([\w-]*?(?:password|passwd|secret|token|api[_-]?key|signature)[\w-]*)"
            r"(\s*[=:]\s*)([^\s&,;'\"]+)",
            re.IGNORECASE,
        ),
        r"\1\2" + REDACTED,
    ),
)
# Most strings (ids, routes, messages) contain none of these; one search lets them skip the rest.
_MIGHT_HIDE_A_SECRET = re.compile(r"bearer|basic|eyj|://|pass|secret|token|key|signature", re.I)


@lru_cache(maxsize=4096)  # log keys repeat endlessly; normalise each name once
def is_sensitive_key(key: str) -> bool:
    normalised = re.sub(r"[^a-z]", "", key.lower())
    return any(word in normalised for word in SENSITIVE_KEY_WORDS)


def _names_a_secret(key: Any) -> bool:
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    return isinstance(key, str) and is_sensitive_key(key)


def scrub_text(text: str) -> str:
    if not _MIGHT_HIDE_A_SECRET.search(text):
        return text
    for pattern, replacement in _VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any) -> Any:
    """Redact a value of any nesting: mappings by key name, strings by shape, the rest as is."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _names_a_secret(key) else scrub(item) for key, item in value.items()
        }
    if isinstance(value, tuple) and len(value) == 2 and _names_a_secret(value[0]):
        return (scrub(value[0]), REDACTED)  # a header pair such as (b"authorization", b"...")
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: Any) -> Any:
    """A structlog processor: the event dict with every secret replaced by `[REDACTED]`."""
    return scrub(event_dict)
