"""Which secrets can reach a log line? None: this processor scrubs them by key name and by shape.

It runs last before rendering, so it also covers library logs, exception text and tracebacks.
Personal data gets the same treatment: phone numbers are masked and message bodies dropped, because
a messaging API's logs are read by more people, and kept longer, than its database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

REDACTED = "[REDACTED]"
DROPPED = "[DROPPED]"  # a message body: personal data that no one needs to debug a failure

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
# Keys whose value is the text of a message (normalised as above).
BODY_KEYS = frozenset({"body", "messagebody"})

# A value after `=` or `:`: quoted (any characters up to the same quote) or bare.
_VALUE = r"""(?P<value>(?P<quote>['"])(?:\\.|(?!(?P=quote)).)*(?P=quote)|[^\s&,;'"}\])]+)"""
_SECRET_NAME = r"[\w-]*?(?:password|passwd|secret|token|api[_-]?key|signature|credential)[\w-]*"  # noqa: S105 - names of secrets, not one


def _replace_value_with(marker: str) -> Any:
    """Keep the name and separator, swap the value for `marker`, keep its quotes if it had any."""

    def replace(match: re.Match[str]) -> str:
        quote = match.group("quote") or ""
        return f"{match.group('name')}{quote}{marker}{quote}"

    return replace


def _mask_number(match: re.Match[str]) -> str:
    """`+14155550100` → `+14*******00`: the ends tell numbers apart, the middle stays private."""
    plus, head, middle, tail = match.groups()
    return f"{plus}{head}{'*' * len(middle)}{tail}"


# Secrets and personal data that hide in free text: an exception message, a URL, a dumped header.
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    # SQLAlchemy repeats a failed statement's parameters in its message; they are data (passwords,
    # numbers, bodies) whichever column they were meant for, so all go and the SQL stays.
    (re.compile(r"\[parameters: [^\n]*\]"), f"[parameters: {REDACTED}]"),
    # `Bearer abcd…`, `Basic dXNl…` as sent in an Authorization header (8+ characters, so
    # "basic plan" survives).
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 " + REDACTED),
    # A JWT: three base64url parts, the first always starting `eyJ` (`{"`).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # An opaque refresh token: auth's `rt_` prefix, then at least 20 base64url characters.
    (re.compile(r"\brt_[A-Za-z0-9_-]{20,}"), REDACTED),
    # Credentials inside a URL: scheme://user:password@host, and Redis's scheme://:password@host.
    (re.compile(r"(\w+://[^/\s:@]*):[^@\s/]+@"), r"\1:" + REDACTED + "@"),
    # Named secrets in queries, DSNs, reprs and JSON: password=…, password='…', "client_secret": "…".
    (
        re.compile(rf"(?P<name>\b{_SECRET_NAME}['\"]?\s*[=:]\s*){_VALUE}", re.IGNORECASE),
        _replace_value_with(REDACTED),
    ),
    # A message body in a dict dump (`'body': '…'`) or a form (`Body=…&`).
    (
        re.compile(rf"(?P<name>(?:['\"]body['\"]\s*:|\bbody\s*=)\s*){_VALUE}", re.IGNORECASE),
        _replace_value_with(DROPPED),
    ),
    # An E.164 phone number, plain or URL-encoded (`%2B`): 7 to 15 digits after the plus.
    (
        re.compile(r"(?<![\w+%])(\+|%2B)([1-9]\d)(\d{3,11})(\d{2})(?!\d)", re.IGNORECASE),
        _mask_number,
    ),
)
# Most strings (ids, routes, messages) contain none of these; one search lets them skip the rest.
_MIGHT_HIDE_SOMETHING = re.compile(
    r"bearer|basic|eyj|rt_|://|pass|secret|token|key|signature|credential|parameters|body|\+\d|%2b",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)  # log keys repeat endlessly; normalise each name once
def _normalised(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


def is_sensitive_key(key: str) -> bool:
    normalised = _normalised(key)
    return any(word in normalised for word in SENSITIVE_KEY_WORDS)


def _key_text(key: Any) -> str | None:
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    return key if isinstance(key, str) else None


def _names_a_secret(key: Any) -> bool:
    name = _key_text(key)
    return name is not None and is_sensitive_key(name)


def _scrub_item(key: Any, item: Any) -> Any:
    name = _key_text(key)
    if name is not None and is_sensitive_key(name):
        return REDACTED
    if name is not None and _normalised(name) in BODY_KEYS:
        return DROPPED
    return scrub(item)


def scrub_text(text: str) -> str:
    if not _MIGHT_HIDE_SOMETHING.search(text):
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
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and _names_a_secret(value[0]):
        return (scrub(value[0]), REDACTED)  # a header pair such as (b"authorization", b"...")
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: Any) -> Any:
    """A structlog processor: the event dict with every secret replaced by `[REDACTED]`."""
    return scrub(event_dict)
