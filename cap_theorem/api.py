"""Was this recorded history linearizable? POST it and the checker answers, over HTTP.

Mount `router` on any FastAPI app that has the problem+json handlers installed.
"""

from __future__ import annotations

from typing import Literal, Self

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cap_theorem.history import Operation
from cap_theorem.linearizability import check_register

MAX_OPERATIONS = 5_000
# The search's memory grows with the states it visits; past this the answer is "unknown".
MAX_STATES = 100_000

router = APIRouter(prefix="/cap-theorem", tags=["cap theorem"])


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client: int = Field(ge=0)
    kind: Literal["read", "write"]
    value: int | None = Field(
        default=None, description="the value written, or the value read (null: empty register)"
    )
    invoked: float = Field(ge=0, allow_inf_nan=False, description="seconds")
    completed: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    status: Literal["ok", "fail", "info"] = Field(
        default="ok", description="ok: happened; fail: certainly did not; info: unknown"
    )

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if self.completed is not None and self.completed < self.invoked:
            raise ValueError("completed must not be earlier than invoked")
        if self.status == "ok" and self.completed is None:
            raise ValueError("an ok operation needs its completion time")
        if self.kind == "write" and self.value is None:
            raise ValueError("a write needs the value it wrote")
        return self


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operations: list[OperationIn] = Field(max_length=MAX_OPERATIONS)
    initial: int | None = None


class CheckResult(BaseModel):
    linearizable: bool | None = Field(description="null: the search budget ran out")
    verdict: str
    explanation: str
    states_explored: int


@router.post("/linearizability-checks")
def check_history(request: CheckRequest) -> CheckResult:
    # A plain `def`: FastAPI runs it in a worker thread, so a long search never stalls the loop.
    operations = [
        Operation(op.client, op.kind, op.value, op.invoked, op.completed, op.status)
        for op in request.operations
    ]
    verdict = check_register(operations, initial=request.initial, max_states=MAX_STATES)
    return CheckResult(
        linearizable=verdict.linearizable,
        verdict=verdict.label,
        explanation=verdict.explanation,
        states_explored=verdict.states_explored,
    )
