"""Was this history linearizable? Search for one order of the operations that a single register
could have produced, respecting real time (Wing & Gong, with Lowe's memoization); else say where it broke.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cap_theorem.history import Operation


@dataclass(frozen=True)
class Verdict:
    linearizable: bool | None  # None: the search budget ran out before an answer
    explanation: str
    states_explored: int

    @property
    def label(self) -> str:
        return {True: "linearizable", False: "NOT linearizable", None: "unknown"}[self.linearizable]


def check_register(
    operations: Sequence[Operation], *, initial: int | None = None, max_states: int = 300_000
) -> Verdict:
    """Depth-first search over linearization orders; a state is (which ops are placed, value).

    An operation may be placed next only if no unplaced operation completed before it was invoked.
    """
    ops = _relevant(operations)
    ends = [math.inf if op.status == "info" else _end(op) for op in ops]
    must_place = sum(op.status == "ok" for op in ops)
    start = (0, initial, 0)  # (bitmask of placed ops, register value, ok ops placed)
    stack, seen = [start], {start[:2]}
    frontier, stuck_at, stuck_values = -math.inf, -1, set[int | None]()
    while stack:
        placed, value, placed_ok = stack.pop()
        if placed_ok == must_place:
            return Verdict(True, "every operation fits one order", len(seen))
        if len(seen) > max_states:
            return Verdict(None, f"gave up after {max_states:,} states", len(seen))
        candidates, earliest_end, blocker = _placeable(ops, ends, placed)
        # Remember the furthest point in time any order reached, to explain a failure there.
        if earliest_end > frontier:
            frontier, stuck_at, stuck_values = earliest_end, blocker, set()
        if earliest_end == frontier:
            stuck_values.add(value)
        for index in reversed(candidates):  # the stack pops the earliest-invoked first
            op = ops[index]
            if op.kind == "read" and op.value != value:
                continue
            state = (placed | 1 << index, op.value, placed_ok + (op.status == "ok"))
            if state[:2] not in seen:
                seen.add(state[:2])
                stack.append(state)
    return Verdict(False, _explain(ops[stuck_at], stuck_values, ops), len(seen))


def _end(op: Operation) -> float:
    assert op.completed is not None, f"{op.describe()} is ok but has no completion time"
    return op.completed


def _relevant(operations: Sequence[Operation]) -> list[Operation]:
    """Failed operations never happened, and reads of unknown outcome tell nothing: drop both.

    A write of unknown outcome whose value nobody read can be dropped too: any order that
    places it stays valid without it, since no read sits between it and the next write.
    """
    read_values = {op.value for op in operations if op.kind == "read" and op.status == "ok"}
    kept = [
        op
        for op in operations
        if op.status == "ok"
        or (op.status == "info" and op.kind == "write" and op.value in read_values)
    ]
    return sorted(kept, key=lambda op: op.invoked)


def _placeable(
    ops: list[Operation], ends: list[float], placed: int
) -> tuple[list[int], float, int]:
    """The unplaced ops invoked before the earliest unplaced completion, that completion, and its op."""
    first_unplaced = (~placed & (placed + 1)).bit_length() - 1
    earliest_end, blocker, candidates = math.inf, -1, []
    # Ops are sorted by invocation, so once one starts after the earliest end, all later ones do.
    for index in range(first_unplaced, len(ops)):
        if ops[index].invoked > earliest_end:
            break
        if placed >> index & 1:
            continue
        candidates.append(index)
        if ends[index] < earliest_end:
            earliest_end, blocker = ends[index], index
    return [i for i in candidates if ops[i].invoked <= earliest_end], earliest_end, blocker


def _explain(stuck: Operation, values: set[int | None], ops: list[Operation]) -> str:
    could_hold = " or ".join("nothing" if v is None else str(v) for v in sorted(values, key=str))
    message = f"{stuck.describe()}, but by then the register could only hold {could_hold}"
    if stuck.kind != "read":
        return message
    writer = next((op for op in ops if op.kind == "write" and op.value == stuck.value), None)
    if stuck.value is not None and writer is None:
        return f"{message}: no write of {stuck.value} succeeded"
    if writer is not None and writer.status != "ok":
        return message
    # Stale: a write that began after the value's own write ended, and ended before the read began.
    newer = [
        op
        for op in ops
        if op.kind == "write"
        and op.status == "ok"
        and (writer is None or op.invoked > _end(writer))
        and _end(op) < stuck.invoked
    ]
    if not newer:
        return message
    latest = max(newer, key=_end)
    return f"{message}: a stale read, the {latest.describe()} had already replaced it"
