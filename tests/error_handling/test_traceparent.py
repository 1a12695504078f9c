"""W3C traceparent: parse what is valid, refuse what is not, continue the trace with a new span."""

from __future__ import annotations

import pytest

from error_handling.traceparent import TraceParent, new_traceparent, parse_traceparent

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_valid_header_is_parsed_into_its_fields() -> None:
    # Rule: the spec's own example parses, and prints back as it came.
    parsed = parse_traceparent(VALID)

    assert parsed == TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")
    assert str(parsed) == VALID


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # unknown version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero span id
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short trace id
    ],
)
def test_a_malformed_header_is_refused(header: str | None) -> None:
    # Rule: the spec says to start a new trace rather than trust a malformed one.
    assert parse_traceparent(header) is None


def test_a_child_keeps_the_trace_and_gets_a_new_span() -> None:
    # Rule: each hop is a new span of the same trace.
    parent = parse_traceparent(VALID)
    assert parent is not None

    child = parent.child()

    assert child.trace_id == parent.trace_id
    assert child.parent_id != parent.parent_id
    assert parse_traceparent(str(child)) == child


def test_a_new_trace_is_valid_and_sampled() -> None:
    # Rule: what we generate, we (and every other W3C implementation) can parse.
    fresh = new_traceparent()

    assert parse_traceparent(str(fresh)) == fresh
    assert fresh.flags == "01"
