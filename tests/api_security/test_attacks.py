"""The attack suite: each test is one attack on the security layers, labelled with the rule that stops it.

Attacks go over HTTP to the demo app (or, where a server's own behaviour is the target, a real process).
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from hypothesis import given
from hypothesis import strategies as st

from api_security.api_keys import ApiKeyStore, NewApiKey
from api_security.callback_signer import CallbackSigner
from api_security.replay_guard import MISSING_STAMP
from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from tests.api_security.conftest import AUTH_TOKEN

STATUS = "http://testserver/callbacks/status"
FORM = {"CarrierSid": "SM9", "MessageSid": "SM1", "MessageStatus": "delivered"}


# --- callback replay (OWASP API2:2023 broken authentication; Twilio's scheme has no delimiters) --


async def test_attack_moving_a_body_parameter_into_the_callback_url_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """Signature re-shaping: URL + names + values are concatenated without separators, so moving the
    first body parameter onto the end of the URL keeps the signature valid and mints a new callback id.
    The stamp must end the signed URL, in its strict form, so any re-shaping breaks it."""
    callback = CallbackSigner(AUTH_TOKEN).sign(STATUS, FORM)
    first = await client.post(callback.url, data=FORM, headers=callback.headers)
    reshaped_url = callback.url + "CarrierSid" + FORM["CarrierSid"]
    reshaped_form = {name: value for name, value in FORM.items() if name != "CarrierSid"}
    signature = callback.headers[SIGNATURE_HEADER]
    assert RequestValidator(AUTH_TOKEN).validate(reshaped_url, reshaped_form, signature)

    replay = await client.post(reshaped_url, data=reshaped_form, headers=callback.headers)

    assert first.status_code == 200
    assert replay.status_code == 403
    assert replay.json()["detail"] == MISSING_STAMP


async def test_attack_a_callback_whose_stamp_is_not_last_in_the_url_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """Signature re-shaping, the other way: a URL that carries anything after the stamp was re-shaped."""
    callback = CallbackSigner(AUTH_TOKEN).sign(STATUS, FORM)
    validator = RequestValidator(AUTH_TOKEN)
    url = callback.url + "&" + urlencode({"extra": "1"})

    response = await client.post(
        url, data=FORM, headers={SIGNATURE_HEADER: validator.compute_signature(url, FORM)}
    )

    assert response.status_code == 403
    assert response.json()["detail"] == MISSING_STAMP


async def test_attack_moving_the_end_of_the_callback_url_into_the_body_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """Signature re-shaping, the other way: the id's last digit moves onto the first body name, so the
    signed bytes are unchanged and the id is new; a 31-digit id is not the strict form, so it is refused."""
    callback = CallbackSigner(AUTH_TOKEN).sign(STATUS, FORM)
    while not callback.url[-1].isdigit():  # a digit sorts before "C", keeping the moved name first
        callback = CallbackSigner(AUTH_TOKEN).sign(STATUS, FORM)
    digit = callback.url[-1]
    reshaped_url = callback.url[:-1]
    reshaped_form = {
        (digit + name if name == "CarrierSid" else name): v for name, v in FORM.items()
    }
    signature = callback.headers[SIGNATURE_HEADER]
    assert RequestValidator(AUTH_TOKEN).validate(reshaped_url, reshaped_form, signature)

    response = await client.post(reshaped_url, data=reshaped_form, headers=callback.headers)

    assert response.status_code == 403
    assert response.json()["detail"] == MISSING_STAMP


# --- attacker-controlled input never raises (a 500 is a crash an attacker can trigger at will) ---

hostile_urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        "https://example.com:{}/hook?{}".format,
        st.text(max_size=8),
        st.text(max_size=20),
    ),
    st.sampled_from(
        [
            "https://example.com:abc/hook",
            "https://example.com:99999/hook",
            "https://[::1/hook",
            "https://example.com/hook?bodySHA256=\udcff",
            "http://\ud800/",
        ]
    ),
)


@given(
    url=hostile_urls,
    params=st.one_of(
        st.none(),
        st.text(max_size=20),
        st.binary(max_size=20),
        st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=4),
    ),
    signature=st.one_of(st.none(), st.text(max_size=30)),
)
def test_attack_hostile_urls_params_and_signatures_give_false_and_never_raise(
    url: str, params: str | bytes | list[tuple[str, str]] | None, signature: str | None
) -> None:
    """Crash on demand: `validate` is fed attacker data (bad ports, broken brackets, lone surrogates);
    any malformed input is simply not signed, so it returns False instead of raising."""
    assert RequestValidator(AUTH_TOKEN).validate(url, params, signature) in (True, False)


def test_attack_a_url_with_a_port_that_is_not_a_number_is_never_valid() -> None:
    """Crash on demand: `host:abc` and `host:99999` once raised ValueError from the port variants.
    A URL no server could have been asked for is malformed input: False, even with its own signature."""
    validator = RequestValidator(AUTH_TOKEN)
    for url in ("https://example.com:abc/hook", "https://example.com:99999/hook"):
        assert not validator.validate(url, {"a": "b"}, validator.compute_signature(url, {"a": "b"}))


# --- API keys belong to an account (OWASP API1:2023 broken object-level authorisation) ----------


async def test_attack_a_key_lists_only_its_own_accounts_keys(
    client: httpx.AsyncClient, store: ApiKeyStore, root_auth: tuple[str, str]
) -> None:
    """BOLA: holding `api-keys:read` is no licence to read every account's keys."""
    mallory = await store.create("mallory", ["api-keys:read"], owner="ACmallory")
    await client.post(
        "/api-keys", auth=root_auth, json={"friendly_name": "ci", "scopes": ["messages:write"]}
    )

    response = await client.get("/api-keys", auth=(mallory.key.sid, mallory.secret))

    assert response.status_code == 200
    assert [key["sid"] for key in response.json()] == [mallory.key.sid]


async def test_attack_a_key_cannot_revoke_another_accounts_key(
    client: httpx.AsyncClient, store: ApiKeyStore, root_key: NewApiKey
) -> None:
    """BOLA: `api-keys:write` on one account revokes nothing on another; the answer is the same 404
    an unknown key gets, so the attacker cannot even learn that the key exists."""
    mallory = await store.create("mallory", ["api-keys:write"], owner="ACmallory")
    sid = root_key.key.sid

    response = await client.delete(f"/api-keys/{sid}", auth=(mallory.key.sid, mallory.secret))

    assert response.status_code == 404
    assert response.json()["detail"] == f"No API key {sid}."
    assert (await store.authenticate(sid, root_key.secret)).key is not None


async def test_a_key_made_through_the_api_belongs_to_its_makers_account(
    client: httpx.AsyncClient, store: ApiKeyStore, root_key: NewApiKey, root_auth: tuple[str, str]
) -> None:
    # Rule: a minted key inherits its maker's account; a client cannot choose another.
    created = await client.post(
        "/api-keys", auth=root_auth, json={"friendly_name": "ci", "scopes": ["messages:write"]}
    )

    verdict = await store.authenticate(created.json()["sid"], created.json()["secret"])

    assert verdict.key is not None and verdict.key.owner == root_key.key.owner
