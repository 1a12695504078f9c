"""Jump consistent hash: the paper's outputs, its range, and its one-way moves."""

from __future__ import annotations

import pytest

from scaling.jump_hash import jump_hash
from scaling.partitioning import seeded_key_hashes

# Published outputs of the reference C++ (the same vectors ClickHouse's jumpConsistentHash tests).
REFERENCE = [
    (1, 1, 0),
    (42, 57, 43),
    (256, 1024, 520),
    (3735883980, 1, 0),
    (3735883980, 666, 361),
    (16045690984833335023, 255, 237),
]


@pytest.mark.parametrize(("key", "buckets", "expected"), REFERENCE)
def test_jump_hash_matches_the_reference_implementation(
    key: int, buckets: int, expected: int
) -> None:
    # Rule: the same key and bucket count give the paper's bucket, so data placed by another
    # implementation (C++, Go, ClickHouse) is found here.
    assert jump_hash(key, buckets) == expected


def test_growing_by_one_bucket_moves_keys_only_into_the_new_bucket() -> None:
    # Rule: from n to n+1 buckets a key either stays or moves to bucket n, never elsewhere.
    keys = seeded_key_hashes(5_000)

    for buckets in (1, 2, 7, 10):
        moves = [
            (jump_hash(k, buckets), jump_hash(k, buckets + 1))
            for k in keys
            if jump_hash(k, buckets) != jump_hash(k, buckets + 1)
        ]

        assert moves, f"no key moved from {buckets} to {buckets + 1} buckets"
        assert {after for _, after in moves} == {buckets}


def test_every_key_lands_in_range() -> None:
    # Rule: the result is always a valid bucket number, 0..n-1.
    keys = seeded_key_hashes(2_000)

    assert {jump_hash(k, 13) for k in keys} == set(range(13))


def test_zero_buckets_is_refused_with_a_clear_message() -> None:
    # Rule: there is no bucket for a key among none.
    with pytest.raises(ValueError, match=r"^buckets must be at least 1, not 0$"):
        jump_hash(1, 0)


def test_a_key_outside_64_bits_is_refused_with_a_clear_message() -> None:
    # Rule: the algorithm is defined on unsigned 64-bit keys; anything else is a caller's bug.
    with pytest.raises(ValueError, match=r"^key must be an unsigned 64-bit integer, not -1$"):
        jump_hash(-1, 4)
