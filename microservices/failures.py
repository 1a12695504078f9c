"""What can go wrong when one service calls another, as exceptions the caller can tell apart.

Each is a `DependencyFailed`: the caller decides on one fallback for all of them.
"""

from __future__ import annotations


class DependencyFailed(Exception):
    """The dependency gave no usable answer; `dependency` names it."""

    def __init__(self, dependency: str, reason: str) -> None:
        super().__init__(f"{dependency}: {reason}")
        self.dependency = dependency
        self.reason = reason


class CircuitOpen(DependencyFailed):
    """Refused without calling: the breaker is open (or its one half-open probe is in flight)."""


class BulkheadFull(DependencyFailed):
    """Refused without calling: every slot for this dependency is busy."""


class UpstreamError(DependencyFailed):
    """Called and failed: a timeout, a refused connection or a 5xx, after any retries.

    `retry_after_s` is the dependency's own `Retry-After`, when it sent one.
    """

    def __init__(self, dependency: str, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(dependency, reason)
        self.retry_after_s = retry_after_s
