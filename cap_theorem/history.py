"""What did each client ask, when, and what came back? A recorded history answers that.

Every operation gets an invoke time and, if we ever learn it, a completion time and outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["read", "write"]
# ok: it happened, as recorded. fail: it certainly did not happen (the server refused it).
# info: we never learned (a timeout, a write the replica did not acknowledge): maybe it happened.
Status = Literal["ok", "fail", "info"]


@dataclass
class Operation:
    client: int
    kind: Kind
    value: int | None  # the value written, or the value read (None: the register was empty)
    invoked: float
    completed: float | None = None
    status: Status = "info"
    node: str = ""
    error: str = ""

    def describe(self) -> str:
        if self.kind == "write":
            what = f"write of {self.value}"
        else:
            what = f"read returning {'nothing' if self.value is None else self.value}"
        until = "?" if self.completed is None else f"{self.completed:.3f} s"
        outcome = " (outcome unknown)" if self.status == "info" else ""
        return f"client {self.client}'s {what} ({self.invoked:.3f} s → {until}){outcome}"


@dataclass
class History:
    """Seconds since the history began; one list of operations in invocation order."""

    operations: list[Operation] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return time.monotonic() - self.started

    def invoke(self, client: int, kind: Kind, node: str, value: int | None = None) -> Operation:
        operation = Operation(client, kind, value, invoked=self.now(), node=node)
        self.operations.append(operation)
        return operation

    def complete(
        self, operation: Operation, status: Status, *, value: int | None = None, error: str = ""
    ) -> None:
        operation.status, operation.error = status, error
        operation.completed = self.now()  # for "info", when the client stopped waiting
        if operation.kind == "read":
            operation.value = value
