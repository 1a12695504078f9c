"""Was this history linearizable? Search for one order of the operations that a single register
could have produced, respecting real time (Wing & Gong, with Lowe's memoization); else name the
first operation, in order of completion, that no order can explain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cap_theorem.history import Operation


@dataclass(frozen=True)
class Verdict:
    linearizable: bool | None  # None: the search budget ran out before an answer
    explanation: str
    states_explored: int
    culprit: Operation | None = None  # when not linearizable: the first operation that breaks it

    @property
    def label(self) -> str:
        return {True: "linearizable", False: "NOT linearizable", None: "unknown"}[self.linearizable]


@dataclass(frozen=True)
class _Search:
    linearizable: bool | None
    states_explored: int
    values_when_placeable: frozenset[int | None]  # what the register held whenever `watch` could go


def check_register(
    operations: Sequence[Operation], *, initial: int | None = None, max_states: int = 300_000
) -> Verdict:
    """Search every order; if none fits, find the shortest prefix (by completion) that breaks."""
    result = _search(operations, initial, max_states)
    if result.linearizable is True:
        return Verdict(True, "every operation fits one order", result.states_explored)
    if result.linearizable is None:
        return Verdict(None, f"gave up after {max_states:,} states", result.states_explored)
    completed = sorted((op for op in operations if op.status == "ok"), key=_completion_order)
    count = _shortest_failing_prefix(operations, completed, initial, max_states)
    culprit = completed[count - 1]
    # Re-run that prefix, watching the culprit, to say what the register held when it could run.
    prefix = _trust_first(operations, completed[:count])
    watched = _search(prefix, initial, max_states, watch=culprit)
    explanation = _explain(culprit, watched.values_when_placeable, _relevant(operations))
    return Verdict(False, explanation, result.states_explored, culprit)


def _shortest_failing_prefix(
    operations: Sequence[Operation], completed: list[Operation], initial: int | None, limit: int
) -> int:
    """How many of the first ok operations to complete it takes before no order fits.

    A prefix trusts the outcomes of the first k operations to complete and treats the rest as
    unknown (a relaxation), so a longer prefix can only be harder to fit: binary search applies.
    Ties in completion go by invocation, then by input order, so the answer is deterministic.
    """
    low, high = 1, len(completed)  # the whole history, trusting every outcome, is known to fail
    while low < high:
        middle = (low + high) // 2
        if (
            _search(_trust_first(operations, completed[:middle]), initial, limit).linearizable
            is False
        ):
            high = middle
        else:  # fits, or the budget ran out: only a prefix proven to fail is ever named
            low = middle + 1
    return high


def _completion_order(op: Operation) -> tuple[float, float]:
    return _end(op), op.invoked


def _trust_first(operations: Sequence[Operation], trusted: list[Operation]) -> list[Operation]:
    """The history as known when the last trusted operation completed: later outcomes unknown."""
    keep = {id(op) for op in trusted}
    return [
        op if op.status != "ok" or id(op) in keep else replace(op, status="info")
        for op in operations
    ]


def _search(
    operations: Sequence[Operation],
    initial: int | None,
    max_states: int,
    watch: Operation | None = None,
) -> _Search:
    """Depth-first search over linearization orders; a state is (which ops are placed, value).

    An operation may be placed next only if no unplaced operation completed before it was invoked.
    """
    ops = _relevant(operations)
    ends = [math.inf if op.status == "info" else _end(op) for op in ops]
    must_place = sum(op.status == "ok" for op in ops)
    watched = next((i for i, op in enumerate(ops) if op is watch), -1)
    start = (0, initial, 0)  # (bitmask of placed ops, register value, ok ops placed)
    stack, seen, values = [start], {start[:2]}, set[int | None]()
    while stack:
        placed, value, placed_ok = stack.pop()
        if placed_ok == must_place:
            return _Search(True, len(seen), frozenset(values))
        if len(seen) > max_states:
            return _Search(None, len(seen), frozenset(values))
        candidates = _placeable(ops, ends, placed)
        if watched in candidates:
            values.add(value)
        for index in reversed(candidates):  # the stack pops the earliest-invoked first
            op = ops[index]
            if op.kind == "read" and op.value != value:
                continue
            state = (placed | 1 << index, op.value, placed_ok + (op.status == "ok"))
            if state[:2] not in seen:
                seen.add(state[:2])
                stack.append(state)
    return _Search(False, len(seen), frozenset(values))


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


def _placeable(ops: list[Operation], ends: list[float], placed: int) -> list[int]:
    """The unplaced ops invoked before the earliest completion among unplaced ops."""
    first_unplaced = (~placed & (placed + 1)).bit_length() - 1
    earliest_end, candidates = math.inf, []
    # Ops are sorted by invocation, so once one starts after the earliest end, all later ones do.
    for index in range(first_unplaced, len(ops)):
        if ops[index].invoked > earliest_end:
            break
        if placed >> index & 1:
            continue
        candidates.append(index)
        earliest_end = min(earliest_end, ends[index])
    return [i for i in candidates if ops[i].invoked <= earliest_end]


def _explain(culprit: Operation, values: frozenset[int | None], ops: list[Operation]) -> str:
    if culprit.kind == "write" or culprit.value in values or not values:
        # It could have run then, but only at the cost of an operation that completed before it.
        message = f"{culprit.describe()} fits no order with what completed before it"
    else:
        could_hold = " or ".join(
            "nothing" if v is None else str(v) for v in sorted(values, key=str)
        )
        message = f"{culprit.describe()}, but by then the register could only hold {could_hold}"
    if culprit.kind == "write":
        return message
    writer = next((op for op in ops if op.kind == "write" and op.value == culprit.value), None)
    if culprit.value is not None and writer is None:
        return f"{message}: no write of {culprit.value} succeeded"
    if writer is not None and writer.status != "ok":
        return message
    # Stale: a write that began after the value's own write ended, and ended before the read began.
    newer = [
        op
        for op in ops
        if op.kind == "write"
        and op.status == "ok"
        and (writer is None or op.invoked > _end(writer))
        and _end(op) < culprit.invoked
    ]
    if not newer:
        return message
    latest = max(newer, key=_end)
    return f"{message}: a stale read, the {latest.describe()} had already replaced it"
