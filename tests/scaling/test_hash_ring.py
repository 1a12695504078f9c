"""The hash ring: a key's owner, what moves when a node leaves or joins, and input errors."""

from __future__ import annotations

import pytest

from scaling.hash_ring import HashRing, hash64
from scaling.partitioning import node_names, seeded_key_hashes

KEYS = seeded_key_hashes(20_000)


def test_removing_a_node_moves_only_that_nodes_keys() -> None:
    # Rule: when node-2 leaves, exactly its keys find new owners; every other key stays put.
    ring = HashRing(node_names(5), vnodes=100)
    before = [ring.node_for_hash(k) for k in KEYS]

    ring.remove("node-2")
    after = [ring.node_for_hash(k) for k in KEYS]

    moved = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert moved
    assert {old for old, _ in moved} == {"node-2"}
    assert len(moved) == before.count("node-2")
    assert "node-2" not in after


def test_adding_a_node_moves_keys_only_onto_the_new_node() -> None:
    # Rule: a joining node takes over arcs; no key moves between the nodes already there.
    ring = HashRing(node_names(4), vnodes=100)
    before = [ring.node_for_hash(k) for k in KEYS]

    ring.add("node-4")
    after = [ring.node_for_hash(k) for k in KEYS]

    assert {new for old, new in zip(before, after, strict=True) if old != new} == {"node-4"}


def test_the_owner_of_a_key_does_not_depend_on_the_order_nodes_joined() -> None:
    # Rule: placement is a function of the node set, so every app instance computes the same owner.
    forwards = HashRing(node_names(6), vnodes=50)
    backwards = HashRing(reversed(node_names(6)), vnodes=50)

    assert all(forwards.node_for_hash(k) == backwards.node_for_hash(k) for k in KEYS[:2_000])


def test_string_keys_are_placed_by_a_stable_hash() -> None:
    # Rule: hash64 is pinned (BLAKE2b, 8 bytes): changing it would move every stored key, so a
    # change must fail here first; `node_for(key)` is `node_for_hash(hash64(key))`.
    ring = HashRing(node_names(3))

    assert hash64("user:42") == 0xD9279B7CB3A5B282
    assert ring.node_for("user:42") == ring.node_for_hash(hash64("user:42"))


def test_an_empty_ring_answers_with_a_clear_error() -> None:
    # Rule: asking an empty ring for an owner is a LookupError, not an IndexError.
    with pytest.raises(LookupError, match=r"^the ring has no nodes$"):
        HashRing().node_for("k")


def test_adding_a_node_twice_is_refused() -> None:
    # Rule: a node name appears once, or its share would silently double.
    ring = HashRing(["a"])

    with pytest.raises(ValueError, match=r"^node 'a' is already on the ring$"):
        ring.add("a")


def test_removing_an_unknown_node_is_refused() -> None:
    # Rule: removing a node that is not there is a caller's mistake worth hearing about.
    with pytest.raises(ValueError, match=r"^node 'z' is not on the ring$"):
        HashRing(["a"]).remove("z")


def test_zero_virtual_nodes_is_refused() -> None:
    # Rule: a node needs at least one point on the circle.
    with pytest.raises(ValueError, match=r"^vnodes must be at least 1, not 0$"):
        HashRing(["a"], vnodes=0)


def test_a_nameless_node_is_refused() -> None:
    # Rule: node names are what placement hashes; an empty one is a bug upstream.
    with pytest.raises(ValueError, match=r"^a node needs a non-empty name$"):
        HashRing([""])
