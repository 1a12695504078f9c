"""A consistent-hash ring with virtual nodes: each node owns many points, a key goes clockwise.

Adding or removing a node moves only the keys on the arcs its points own.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable


def hash64(text: str) -> int:
    """A stable 64-bit hash (Python's `hash()` changes per process, so it cannot place data)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class HashRing:
    """Nodes placed on a 64-bit circle, `vnodes` points each.

    >>> ring = HashRing(["a", "b", "c"], vnodes=100)
    >>> ring.node_for("user:42") in {"a", "b", "c"}
    True
    """

    def __init__(self, nodes: Iterable[str] = (), vnodes: int = 100) -> None:
        if vnodes < 1:
            raise ValueError(f"vnodes must be at least 1, not {vnodes}")
        self.vnodes = vnodes
        self._points: list[int] = []  # sorted positions on the circle
        self._owners: list[str] = []  # _owners[i] owns _points[i]
        self._nodes: set[str] = set()
        for node in nodes:
            self.add(node)

    @property
    def nodes(self) -> frozenset[str]:
        return frozenset(self._nodes)

    def add(self, node: str) -> None:
        if not node:
            raise ValueError("a node needs a non-empty name")
        if node in self._nodes:
            raise ValueError(f"node {node!r} is already on the ring")
        self._nodes.add(node)
        for replica in range(self.vnodes):
            point = hash64(f"{node}#{replica}")
            index = bisect.bisect(self._points, point)
            self._points.insert(index, point)
            self._owners.insert(index, node)

    def remove(self, node: str) -> None:
        if node not in self._nodes:
            raise ValueError(f"node {node!r} is not on the ring")
        self._nodes.discard(node)
        kept = [(p, o) for p, o in zip(self._points, self._owners, strict=True) if o != node]
        self._points = [p for p, _ in kept]
        self._owners = [o for _, o in kept]

    def node_for(self, key: str) -> str:
        return self.node_for_hash(hash64(key))

    def node_for_hash(self, key_hash: int) -> str:
        """The owner of the first point at or after the key, wrapping past the top of the circle."""
        if not self._points:
            raise LookupError("the ring has no nodes")
        index = bisect.bisect_left(self._points, key_hash)
        return self._owners[index % len(self._points)]
