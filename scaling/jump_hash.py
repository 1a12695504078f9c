"""Jump consistent hash (Lamping & Veach, 2014): key → bucket in 0..n-1, no table, no memory.

Growing n to n+1 moves a key only into the new bucket, and only 1/(n+1) of them do.
"""

from __future__ import annotations

_MASK_64 = (1 << 64) - 1
_LCG_MULTIPLIER = 2862933555777941757  # the paper's 64-bit linear congruential generator


def jump_hash(key: int, buckets: int) -> int:
    """The bucket of a 64-bit `key` among `buckets` buckets.

    >>> jump_hash(256, 1024)
    520
    """
    if not 0 <= key <= _MASK_64:
        raise ValueError(f"key must be an unsigned 64-bit integer, not {key}")
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, not {buckets}")
    bucket, jump = -1, 0
    # Each step draws where the key would next jump as buckets are added; the key lives in the
    # last bucket reached before the next jump falls beyond `buckets`.
    while jump < buckets:
        bucket = jump
        key = (key * _LCG_MULTIPLIER + 1) & _MASK_64
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket
