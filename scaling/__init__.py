"""What is the difference between horizontal and vertical scaling? A bigger box vs more boxes.

More boxes only add up when instances keep no state: limits, sessions and caches go to Redis.
"""

from scaling.hash_ring import HashRing, hash64
from scaling.jump_hash import jump_hash

__all__ = ["HashRing", "hash64", "jump_hash"]
