"""Start every piece of the demo as its own process: accounts, messages (with and without a breaker),
the monolith, and billing. All start at once, each is waited for, and all stop on the way out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backing_services.local_processes import LOOPBACK, free_port, stop, wait_for_port

# Short timeouts so an outage shows within a demo's few seconds; a production default is longer.
DEMO_SETTINGS = {
    "fault_injection": "true",
    "fault_seed": "7",
    "connect_timeout_s": "0.1",
    "total_timeout_s": "0.4",
    "retry_deadline_s": "0.8",
    # Long enough to outlive the whole run: every scenario may fall back on the warm-up's checks.
    "fallback_max_age_s": "600",
    "breaker_failure_threshold": "5",
    "breaker_reset_timeout_s": "1.0",
}


@dataclass
class Stack:
    accounts_url: str
    messages_url: str
    messages_without_breaker_url: str
    monolith_url: str
    env: dict[str, str]
    logs: Path
    billing: subprocess.Popen[bytes] | None = None

    def start_billing(self) -> None:
        self.billing = _spawn(["billing"], self.env, self.logs / "billing.log")

    def stop_billing(self) -> None:
        if self.billing is not None:
            stop(self.billing)
            self.billing = None


def _spawn(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "microservices.serve", *args],
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def running_stack(env: Mapping[str, str], logs: Path) -> Iterator[Stack]:
    """`env` carries REDIS_URL, DATABASE_URL and any MICROSERVICES_* overrides."""
    logs.mkdir(parents=True, exist_ok=True)
    base = {**env, **{f"MICROSERVICES_{k.upper()}": v for k, v in DEMO_SETTINGS.items()}}
    ports = {name: free_port() for name in ("accounts", "messages", "nobreaker", "monolith")}
    accounts_url = f"http://{LOOPBACK}:{ports['accounts']}"
    specs = {
        "accounts": ("accounts", {}),
        "messages": ("messages", {"MICROSERVICES_ACCOUNTS_URL": accounts_url}),
        "nobreaker": (
            "messages",
            {"MICROSERVICES_ACCOUNTS_URL": accounts_url, "MICROSERVICES_BREAKER_ENABLED": "false"},
        ),
        "monolith": ("monolith", {}),
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, (piece, extra) in specs.items():
            argv = [piece, "--port", str(ports[name])]
            processes.append(_spawn(argv, {**base, **extra}, logs / f"{name}.log"))
        for name, process in zip(specs, processes, strict=True):
            wait_for_port(ports[name], process=process, name=name, timeout_s=60)
        stack = Stack(
            accounts_url=accounts_url,
            messages_url=f"http://{LOOPBACK}:{ports['messages']}",
            messages_without_breaker_url=f"http://{LOOPBACK}:{ports['nobreaker']}",
            monolith_url=f"http://{LOOPBACK}:{ports['monolith']}",
            env=base,
            logs=logs,
        )
        try:
            yield stack
        finally:
            stack.stop_billing()
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            stop(process)
