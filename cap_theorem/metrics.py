"""What did the clients experience? Availability, stale reads, lost acknowledged writes, latency.

Computed from a recorded history alone, plus what the surviving primary held at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backing_services.measure import percentile
from cap_theorem.history import Kind, Operation
from cap_theorem.linearizability import Verdict, check_register
from cap_theorem.scenarios import ScenarioRun


@dataclass(frozen=True)
class Summary:
    mode: str
    ok: int
    failed: int  # refused, or outcome unknown: either way the client did not get its answer
    stale_reads: int
    lost_writes: int
    verdict: Verdict
    p50_read_ms: float | None
    p50_write_ms: float | None

    @property
    def availability(self) -> float:
        return self.ok / max(self.ok + self.failed, 1)


def stale_reads(operations: Sequence[Operation]) -> list[Operation]:
    """Reads that certainly returned an old value: a newer write had finished before they began.

    "Newer" must be certain too: invoked after the write of the value read had finished.
    """
    writes = [op for op in operations if op.kind == "write" and op.status == "ok"]
    finished = {op.value: _end(op) for op in writes}
    stale = []
    for read in operations:
        if read.kind != "read" or read.status != "ok":
            continue
        if read.value is not None and read.value not in finished:
            continue  # written by a write of unknown outcome: we cannot say how old it is
        written_at = -1.0 if read.value is None else finished[read.value]
        if any(w.invoked > written_at and _end(w) < read.invoked for w in writes):
            stale.append(read)
    return stale


def lost_writes(operations: Sequence[Operation], final_writes: Sequence[int]) -> list[Operation]:
    """Writes the client was told succeeded that the surviving primary no longer holds."""
    kept = set(final_writes)
    return [
        op for op in operations if op.kind == "write" and op.status == "ok" and op.value not in kept
    ]


def p50_ms(operations: Sequence[Operation], kind: Kind) -> float | None:
    took = [_end(op) - op.invoked for op in operations if op.kind == kind and op.status == "ok"]
    return percentile(took, 50) * 1000 if took else None


def summarize(run: ScenarioRun, max_checker_states: int = 300_000) -> Summary:
    operations = run.history.operations
    ok = sum(op.status == "ok" for op in operations)
    return Summary(
        mode=run.mode.name,
        ok=ok,
        failed=len(operations) - ok,
        stale_reads=len(stale_reads(operations)),
        lost_writes=len(lost_writes(operations, run.final_writes)),
        verdict=check_register(operations, max_states=max_checker_states),
        p50_read_ms=p50_ms(operations, "read"),
        p50_write_ms=p50_ms(operations, "write"),
    )


def _end(op: Operation) -> float:
    assert op.completed is not None, f"{op.describe()} has no completion time"
    return op.completed
