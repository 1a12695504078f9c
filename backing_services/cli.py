"""What every demo's command line shares: numbers refused in one line when out of range."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def bounded(low: float, high: float, kind: Callable[[str], float] = int) -> Callable[[str], float]:
    """An argparse type: a number of `kind` within [low, high], or a one-line refusal."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be between {shown(low)} and {shown(high)}, not {text}"
            )
        return value

    return parse


def shown(number: float) -> str:
    """20000000 rather than 2e+07: a reader compares the bound with what they typed."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"
