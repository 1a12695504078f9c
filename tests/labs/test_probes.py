"""Claims no behavioural test can catch, checked where they live: the path a request really takes.

A timing leak in a signature check needs thousands of measured requests to see, and a test that
measures time is flaky by design. What can be checked exactly is that the comparison on the path
is `hmac.compare_digest`, whose running time does not depend on where the inputs differ.
"""

from __future__ import annotations

import hmac

import pytest

from api_security.signatures import RequestValidator

# twilio-python's published form vector (tests/unit/test_request_validator.py).
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_webhook_signature_is_compared_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rule: the claimed signature reaches hmac.compare_digest; `==` stops at the first differing
    # byte, so its timing tells a forger how much of a guess is right.
    compared: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    assert RequestValidator(TOKEN).validate(URL, PARAMS, SIGNATURE)
    assert SIGNATURE.encode() in {b for _, b in compared}
