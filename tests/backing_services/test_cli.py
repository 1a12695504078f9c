"""`bounded`, the one argparse number type every demo uses: a value in range, or a one-line refusal."""

from __future__ import annotations

import argparse

import pytest

from backing_services.cli import bounded


def test_a_number_in_range_is_parsed_as_its_kind() -> None:
    assert (bounded(1, 10)("7"), bounded(0.5, 2, float)("1.5")) == (7, 1.5)


def test_a_number_out_of_range_is_refused_naming_the_range() -> None:
    with pytest.raises(
        argparse.ArgumentTypeError, match=r"^must be between 100 and 20000000, not 5$"
    ):
        bounded(100, 20_000_000)("5")


def test_text_that_is_no_number_is_refused_quoting_it() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"^expected a number, not 'soon'$"):
        bounded(0, 60, float)("soon")
