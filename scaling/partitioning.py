"""Which partitioning moves the fewest keys when a node joins, and which spreads them evenly?

Seeded key hashes are placed by modulo, a hash ring and jump hash; we count moves and load.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from scaling.hash_ring import HashRing
from scaling.jump_hash import jump_hash

Placement = Callable[[int], Hashable]


def seeded_key_hashes(count: int, seed: int = 8) -> list[int]:
    """`count` 64-bit key hashes, the same for the same seed (what `hash64(key)` would give)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    rng = random.Random(seed)
    return [rng.getrandbits(64) for _ in range(count)]


def node_names(count: int) -> list[str]:
    return [f"node-{n}" for n in range(count)]


def modulo(nodes: int) -> Placement:
    return lambda key_hash: key_hash % nodes


def jump(nodes: int) -> Placement:
    return lambda key_hash: jump_hash(key_hash, nodes)


def moved_fraction(keys: Sequence[int], before: Placement, after: Placement) -> float:
    return sum(before(k) != after(k) for k in keys) / len(keys)


def max_over_mean(keys: Sequence[int], place: Placement, nodes: int) -> float:
    """The busiest node's keys over the average: 1.0 is perfect balance."""
    busiest = max(Counter(place(k) for k in keys).values())
    return busiest / (len(keys) / nodes)


@dataclass(frozen=True)
class MovementRow:
    """Keys moved when growing from `nodes` to `nodes + 1`, as fractions of all keys."""

    nodes: int
    modulo: float
    ring: float
    jump: float

    @property
    def consistent_theory(self) -> float:
        return 1 / (self.nodes + 1)

    @property
    def modulo_theory(self) -> float:
        return self.nodes / (self.nodes + 1)


def movement_table(
    keys: Sequence[int], node_counts: Sequence[int], vnodes: int
) -> list[MovementRow]:
    rows = []
    for count in node_counts:
        if count < 1:
            raise ValueError(f"node counts must be at least 1, not {count}")
        names = node_names(count + 1)
        ring = HashRing(names[:count], vnodes=vnodes)
        ring_before = [ring.node_for_hash(k) for k in keys]
        ring.add(names[count])
        ring_moved = sum(
            old != ring.node_for_hash(k) for k, old in zip(keys, ring_before, strict=True)
        )
        rows.append(
            MovementRow(
                nodes=count,
                modulo=moved_fraction(keys, modulo(count), modulo(count + 1)),
                ring=ring_moved / len(keys),
                jump=moved_fraction(keys, jump(count), jump(count + 1)),
            )
        )
    return rows


@dataclass(frozen=True)
class BalanceRow:
    """Load balance of a ring of `nodes` nodes with `vnodes` points each."""

    vnodes: int
    nodes: int
    max_over_mean: float


def balance_table(keys: Sequence[int], nodes: int, vnode_counts: Sequence[int]) -> list[BalanceRow]:
    return [
        BalanceRow(
            vnodes=v,
            nodes=nodes,
            max_over_mean=max_over_mean(
                keys, HashRing(node_names(nodes), vnodes=v).node_for_hash, nodes
            ),
        )
        for v in vnode_counts
    ]
