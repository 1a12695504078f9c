"""The carrier's side of the line: a simulated carrier that writes down when each call reached it.

Set QUEUE_DEMO_CARRIER_LOG to a file path and every call appends one JSON line; the metering tests
measure the spacing between departures from these times, as a real carrier's records would show it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from queue_demo.carrier import SimulatedCarrier


class CarrierLogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUEUE_DEMO_", extra="ignore")

    carrier_log: Path | None = None


class LoggedCarrier(SimulatedCarrier):
    """A SimulatedCarrier that appends {at, to, body, key} to `path` as each call arrives."""

    def __init__(
        self,
        path: Path,
        *,
        delay_s: float = 0.0,
        failure_rate: float = 0.0,
        poison_numbers: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(delay_s=delay_s, failure_rate=failure_rate, poison_numbers=poison_numbers)
        self.path = path

    async def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        line = json.dumps({"at": time.time(), "to": to, "body": body, "key": idempotency_key})
        # One write per line in append mode: lines from two workers never interleave.
        with self.path.open("a") as log:
            log.write(line + "\n")
        return await super().send(to=to, body=body, idempotency_key=idempotency_key)


def read_carrier_log(path: Path) -> list[dict[str, Any]]:
    """Every complete line so far; a line still being written (no newline yet) waits for next time."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().split("\n")[:-1] if line]
