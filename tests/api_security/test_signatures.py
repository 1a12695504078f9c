"""Twilio's request signatures: the published vectors, every way a forgery must fail, and the
constant-time compare.

The vectors are reproduced from twilio-python's tests/unit/test_request_validator.py
(https://github.com/twilio/twilio-python), so our `RequestValidator` agrees with Twilio's signer.
"""

from __future__ import annotations

import hmac
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api_security.signatures import Params, RequestValidator

# --- twilio-python's published vectors -----------------------------------------------------
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
DUPLICATE_PARAMS = [
    ("Sid", "CA123"),
    ("SidAccount", "AC123"),
    ("Digits", "5678"),
    ("Digits", "1234"),
]
DUPLICATE_EXPECTED = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
BODY = '{"property": "value", "boolean": true}'
BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
URL_WITH_BODY = URL + "&bodySHA256=" + BODY_HASH
BODY_EXPECTED = "a9nBmqA0ju/hNViExpshrM61xv4="
# -------------------------------------------------------------------------------------------


@pytest.fixture
def validator() -> RequestValidator:
    return RequestValidator(TOKEN)


def test_the_signature_of_twilios_form_vector_matches(validator: RequestValidator) -> None:
    # Rule: base64 HMAC-SHA1 over the URL then each name+value, sorted by name.
    assert validator.compute_signature(URL, PARAMS) == EXPECTED
    assert validator.validate(URL, PARAMS, EXPECTED)


def test_repeated_names_are_sorted_by_value_as_in_twilios_vector(
    validator: RequestValidator,
) -> None:
    # Rule: a name sent twice contributes both values, in value order, whatever order they came in.
    assert validator.compute_signature(URL, DUPLICATE_PARAMS) == DUPLICATE_EXPECTED
    assert validator.compute_signature(URL, list(reversed(DUPLICATE_PARAMS))) == DUPLICATE_EXPECTED


def test_a_repeated_identical_value_counts_once_as_in_twilio_python(
    validator: RequestValidator,
) -> None:
    # Rule: twilio-python signs `sorted(set(values))` per name (its vector adds ("Digits", "1234")
    # twice, "Ensure duplicates are removed"), so an identical repeated pair is signed once.
    repeated = [*DUPLICATE_PARAMS, ("Digits", "1234")]

    assert validator.compute_signature(URL, repeated) == DUPLICATE_EXPECTED
    assert validator.validate(URL, repeated, DUPLICATE_EXPECTED)


def test_a_multidict_with_repeated_names_signs_like_the_pairs(validator: RequestValidator) -> None:
    # Rule: Starlette's FormData (a multi-dict) keeps every value; a plain Mapping view would drop one.
    from starlette.datastructures import FormData, UploadFile

    pairs: list[tuple[str, str | UploadFile]] = list(DUPLICATE_PARAMS)
    # Typing: `Params` leaves out FormData's UploadFile values; this form holds only str.
    form = cast(Params, FormData(pairs))
    assert validator.compute_signature(URL, form) == DUPLICATE_EXPECTED


def test_the_body_hash_of_twilios_json_vector_matches(validator: RequestValidator) -> None:
    # Rule: bodySHA256 is the hex SHA-256 of the raw body, str or bytes alike.
    assert validator.compute_hash(BODY) == BODY_HASH
    assert validator.compute_hash(BODY.encode()) == BODY_HASH


def test_twilios_json_body_vector_validates(validator: RequestValidator) -> None:
    # Rule: a JSON webhook signs the URL (which carries the body hash) with no params.
    assert validator.validate(URL_WITH_BODY, BODY, BODY_EXPECTED)


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        # A non-default port the signer left out (twilio-python: "removes port on https").
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", EXPECTED),
        # The signer kept the port (http, port 1234).
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        # The signer added the default port the receiver does not see (443, then 80).
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        (URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ],
    ids=["https-port-removed", "http-port-kept", "https-443-added", "http-80-added"],
)
def test_twilios_port_vectors_validate(
    validator: RequestValidator, url: str, signature: str
) -> None:
    # Rule: signer and receiver may disagree about the port; with, without and default all count.
    assert validator.validate(url, PARAMS, signature)


# --- forgeries ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_changing_any_param_value_fails(validator: RequestValidator, name: str) -> None:
    # Rule: every param is covered by the signature.
    assert not validator.validate(URL, {**PARAMS, name: PARAMS[name] + "0"}, EXPECTED)


def test_adding_a_param_fails(validator: RequestValidator) -> None:
    # Rule: a param the signer never sent cannot be slipped in.
    assert not validator.validate(URL, {**PARAMS, "Price": "0"}, EXPECTED)


def test_removing_a_param_fails(validator: RequestValidator) -> None:
    # Rule: a param cannot be dropped either.
    assert not validator.validate(URL, {k: v for k, v in PARAMS.items() if k != "Digits"}, EXPECTED)


@pytest.mark.parametrize(
    "url",
    [
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/otherapp.php?foo=1&bar=2",
        "https://evil.example/myapp.php?foo=1&bar=2",
        "https://mycompany.com/myapp.php?foo=1",
    ],
)
def test_changing_the_url_fails(validator: RequestValidator, url: str) -> None:
    # Rule: host, path and query are all signed.
    assert not validator.validate(url, PARAMS, EXPECTED)


def test_another_token_fails() -> None:
    # Rule: only the holder of the auth token can produce the signature.
    assert not RequestValidator("54321").validate(URL, PARAMS, EXPECTED)


@pytest.mark.parametrize(
    "signature", [None, "", "RSOYDt4T1cUTdK1PDd93/VVr8B8", "rsoydt4t1cutdk1pdd93/vvr8b8="]
)
def test_a_missing_or_altered_signature_fails(
    validator: RequestValidator, signature: str | None
) -> None:
    # Rule: no signature, a truncated one or a re-cased one is not the signature.
    assert not validator.validate(URL, PARAMS, signature)


def test_the_webhook_signature_is_compared_in_constant_time(
    validator: RequestValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rule: the claimed signature reaches hmac.compare_digest; `==` stops at the first differing
    # byte, so its timing tells a forger how much of a guess is right. A timing leak needs thousands
    # of measured requests to see, and a test that measures time is flaky by design, so this probe
    # checks the mechanism on the path a request really takes.
    compared: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    assert validator.validate(URL, PARAMS, EXPECTED)
    assert EXPECTED.encode() in {b for _, b in compared}


def test_a_tampered_json_body_fails(validator: RequestValidator) -> None:
    # Rule: the body must hash to the bodySHA256 the signed URL carries.
    assert not validator.validate(URL_WITH_BODY, BODY.replace("true", "false"), BODY_EXPECTED)


def test_a_swapped_body_hash_fails(validator: RequestValidator) -> None:
    # Rule: replacing both body and hash changes the URL, so the signature no longer matches.
    other = '{"property": "other"}'
    url = URL + "&bodySHA256=" + validator.compute_hash(other)
    assert not validator.validate(url, other, BODY_EXPECTED)


def test_a_json_body_checked_as_a_dict_fails_closed(validator: RequestValidator) -> None:
    # Rule: twilio-python skips the body hash when handed a dict; we refuse, since the body was never checked.
    assert not validator.validate(URL_WITH_BODY, {}, BODY_EXPECTED)
    assert not validator.validate(URL_WITH_BODY, None, BODY_EXPECTED)


def test_a_raw_body_without_a_body_hash_in_the_url_fails(validator: RequestValidator) -> None:
    # Rule: a raw body is trusted only through the signed hash; no hash, no trust.
    signature = validator.compute_signature(URL, {})
    assert not validator.validate(URL, BODY, signature)


def test_a_non_ascii_body_hash_fails_instead_of_raising(validator: RequestValidator) -> None:
    # Rule: attacker-chosen bytes in the URL give False, never an exception (a 500 upstream).
    url = URL + "&bodySHA256=%C3%A9t%C3%A9"
    assert not validator.validate(url, BODY, validator.compute_signature(url, {}))


def test_a_url_with_two_body_hashes_fails(validator: RequestValidator) -> None:
    # Rule: ambiguity is refused, not resolved by picking one.
    url = URL_WITH_BODY + "&bodySHA256=" + BODY_HASH
    assert not validator.validate(url, BODY, validator.compute_signature(url, {}))


def test_an_empty_auth_token_is_refused() -> None:
    # Rule: an empty HMAC key would make every signature forgeable by anyone.
    with pytest.raises(ValueError, match="auth_token must not be empty"):
        RequestValidator("")


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8
)
values = st.text(max_size=12)


@given(params=st.dictionaries(names, values, min_size=1, max_size=6), data=st.data())
def test_any_change_to_any_value_invalidates_the_signature(
    params: dict[str, str], data: st.DataObject
) -> None:
    # Rule (property): for arbitrary params, a signature validates as signed and fails once any value changes.
    validator = RequestValidator(TOKEN)
    signature = validator.compute_signature(URL, params)
    name = data.draw(st.sampled_from(sorted(params)))
    changed = {**params, name: params[name] + data.draw(st.text(min_size=1, max_size=3))}

    assert validator.validate(URL, params, signature)
    assert not validator.validate(URL, changed, signature)


def test_name_value_boundaries_are_not_signed_a_known_limit_of_the_scheme(
    validator: RequestValidator,
) -> None:
    # Rule (a limit we document, not a feature): with no delimiters, {"a": "bc"} and {"ab": "c"}
    # sign the same bytes. Receivers must validate field names, as the pydantic models here do.
    assert validator.compute_signature(URL, {"a": "bc"}) == validator.compute_signature(
        URL, {"ab": "c"}
    )
