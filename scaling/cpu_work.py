"""A stand-in for CPU-bound request work: a pure-Python loop, so it holds the GIL throughout."""

from __future__ import annotations


def busy_checksum(iterations: int) -> int:
    """Spend `iterations` steps of interpreter time and return a number that depends on all of them.

    >>> busy_checksum(3)
    33
    """
    total = 0
    for i in range(iterations):
        total = (total * 31 + i) % 1_000_003
    return total
