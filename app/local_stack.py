"""The mini Twilio as real processes on free loopback ports: api, relay, worker, webhook receiver.

The walkthrough and the end-to-end tests both start it here, and it always stops what it started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.migrate import migrate
from backing_services.local_processes import free_port, running, stop

CALLBACK_TOKEN = "local-stack-callback-token"  # noqa: S105 - both ends of a local demo share it


def stack_environment(redis_url: str, database_url: str) -> dict[str, str]:
    """What every process of the stack reads (compose sets the same names)."""
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        "PYTHONUNBUFFERED": "1",  # log lines reach the files as they happen
        "LOG_LEVEL": "DEBUG",
        "ERROR_HANDLING_LOG_JSON": "true",
        # One secret: the worker signs status callbacks with it, the receiver checks them with it.
        "API_SECURITY_WEBHOOK_AUTH_TOKEN": CALLBACK_TOKEN,
        # The receiver listens on loopback, which the SSRF check refuses unless allowed here.
        "API_SECURITY_OUTBOUND_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        "QUEUE_DEMO_OWN_MESSAGES_TABLE": "false",
        "QUEUE_DEMO_BLOCK_MS": "100",
        # The send route fails closed; on a loaded 2-core laptop 50 ms is too tight for a burst.
        "RATE_LIMITER_REDIS_TIMEOUT_S": "1.0",
    }


@dataclass
class LocalStack:
    api_url: str
    receiver_url: str
    log_dir: Path
    env: dict[str, str]
    _worker: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def callback_url(self) -> str:
        return f"{self.receiver_url}/status-callbacks"

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def start_worker(self) -> None:
        log = open(self.log_dir / "worker.log", "ab")  # noqa: SIM115 - the process owns it now
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "app.worker", "worker-1"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill_worker(self) -> None:
        """SIGKILL: no goodbye, no acks; whatever it held stays pending for the next worker."""
        if self._worker is not None:
            self._worker.send_signal(signal.SIGKILL)
            self._worker.wait()

    def stop_worker(self) -> None:
        if self._worker is not None:
            stop(self._worker)


@contextmanager
def local_stack(
    redis_url: str, database_url: str, log_dir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[LocalStack]:
    """Migrate, start the four processes, yield their addresses; stop them all on the way out."""
    log_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(migrate(database_url))
    env = {**os.environ, **stack_environment(redis_url, database_url), **(extra_env or {})}
    api_port, receiver_port = free_port(), free_port()
    with ExitStack() as processes:

        def start(name: str, argv: list[str], port: int | None, **extra: str) -> None:
            processes.enter_context(
                running(
                    argv,
                    port=port,
                    name=name,
                    env={**env, **extra},
                    log_path=log_dir / f"{name}.log",
                )
            )

        start("api", [sys.executable, "-m", "app"], api_port, HOST="127.0.0.1", PORT=str(api_port))
        start(
            "receiver",
            [sys.executable, "-m", "app.webhook_receiver"],
            receiver_port,
            HOST="127.0.0.1",
            PORT=str(receiver_port),
        )
        start("relay", [sys.executable, "-m", "queue_demo.cli", "relay"], None)
        stack = LocalStack(
            api_url=f"http://127.0.0.1:{api_port}",
            receiver_url=f"http://127.0.0.1:{receiver_port}",
            log_dir=log_dir,
            env=env,
        )
        stack.start_worker()
        try:
            yield stack
        finally:
            stack.stop_worker()
