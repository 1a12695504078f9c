"""Page tokens: what we issue decodes to the same position; anything else is a clean 400."""

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rest_vs_graphql.pagination import (
    InvalidPageToken,
    Position,
    decode_token,
    encode_token,
)

SIDS = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32).map(lambda h: "SM" + h)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda t: t.replace(tzinfo=UTC)
)


@given(TIMES, SIDS)
def test_an_issued_token_decodes_to_its_position(created_at: datetime, sid: str) -> None:
    # Rule: encode then decode is the identity, so a page resumes exactly where it ended.
    position = Position(created_at, sid)

    assert decode_token(encode_token(position)) == position


@given(st.text(max_size=300))
def test_any_other_string_is_an_invalid_page_token_or_a_position(token: str) -> None:
    # Rule: no input makes the decoder raise anything but InvalidPageToken (a 400, never a 500).
    try:
        decoded = decode_token(token)
    except InvalidPageToken as error:
        assert error.status == 400
    else:
        assert decoded.created_at.tzinfo is not None


def test_a_deeply_nested_token_is_refused_before_decoding() -> None:
    # Rule: a token is short; a huge one (e.g. nested JSON to exhaust recursion) is refused by length.
    nested = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()

    with pytest.raises(InvalidPageToken):
        decode_token(nested)


def test_a_naive_timestamp_in_a_token_is_refused() -> None:
    # Rule: positions are compared with timezone-aware columns; a naive time is not ours.
    naive = encode_token(Position(datetime(2026, 1, 1), "SM1"))

    with pytest.raises(InvalidPageToken):
        decode_token(naive)
