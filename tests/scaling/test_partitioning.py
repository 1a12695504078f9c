"""Key movement and balance over seeded keys: ring and jump hash against the theory, and modulo."""

from __future__ import annotations

import pytest

from scaling.partitioning import MovementRow, balance_table, movement_table, seeded_key_hashes

KEYS = seeded_key_hashes(20_000, seed=8)
ROWS = movement_table(KEYS, node_counts=[2, 4, 9], vnodes=200)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.nodes}-to-{r.nodes + 1}")
def test_jump_hash_moves_about_one_in_n_plus_one_keys(row: MovementRow) -> None:
    # Rule: growing from N to N+1 nodes, jump hash moves 1/(N+1) of keys (within 10 %).
    assert row.jump == pytest.approx(row.consistent_theory, rel=0.10)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.nodes}-to-{r.nodes + 1}")
def test_the_ring_moves_about_one_in_n_plus_one_keys(row: MovementRow) -> None:
    # Rule: with 200 virtual nodes the ring moves 1/(N+1) of keys, within 30 %: the new node's
    # arcs are random, so its share wobbles more than jump hash's.
    assert row.ring == pytest.approx(row.consistent_theory, rel=0.30)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.nodes}-to-{r.nodes + 1}")
def test_modulo_hashing_moves_most_keys(row: MovementRow) -> None:
    # Rule: `hash % N` → `hash % (N+1)` keeps a key only if both agree: N/(N+1) of keys move.
    assert row.modulo == pytest.approx(row.modulo_theory, abs=0.02)
    assert row.modulo > 0.6


def test_more_virtual_nodes_balance_the_ring() -> None:
    # Rule: one point per node leaves arcs of very different sizes; hundreds of points even them out.
    rows = balance_table(KEYS, nodes=10, vnode_counts=[1, 10, 200])
    worst = {row.vnodes: row.max_over_mean for row in rows}

    assert worst[1] > worst[10] > worst[200]
    assert worst[1] > 1.5
    assert worst[200] < 1.25


def test_the_same_seed_gives_the_same_keys() -> None:
    # Rule: experiments are repeatable: a seed fixes the keys, another seed changes them.
    assert seeded_key_hashes(100, seed=1) == seeded_key_hashes(100, seed=1)
    assert seeded_key_hashes(100, seed=1) != seeded_key_hashes(100, seed=2)


def test_a_zero_node_count_is_refused() -> None:
    # Rule: growing from zero nodes has no "before" to compare with.
    with pytest.raises(ValueError, match=r"^node counts must be at least 1, not 0$"):
        movement_table(KEYS[:10], node_counts=[0], vnodes=10)


def test_zero_keys_is_refused() -> None:
    # Rule: fractions of nothing are undefined; ask for at least one key.
    with pytest.raises(ValueError, match=r"^count must be at least 1, not 0$"):
        seeded_key_hashes(0)
