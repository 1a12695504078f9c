"""Start N copies of the target app: N uvicorn processes (horizontal) or one with N workers (vertical).

Each listens on its own free loopback port; all start at once and are always stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from backing_services.local_processes import LOOPBACK, free_port, stop, wait_for_port
from scaling.target_app import INSTANCE_HEADER

APP = "scaling.target_app:create_app"


@dataclass(frozen=True)
class Instance:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def uvicorn_argv(port: int, workers: int = 1) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", APP, "--factory"),
        *("--host", LOOPBACK, "--port", str(port), "--workers", str(workers)),
        *("--no-access-log", "--log-level", "warning"),
    ]


@contextmanager
def app_instances(
    count: int,
    *,
    workers: int = 1,
    services: Mapping[str, str],
    settings: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
    timeout_s: float = 60.0,
) -> Iterator[list[Instance]]:
    """`count` instances, each with `workers` processes; `services` holds REDIS_URL/DATABASE_URL.

    `settings` are extra SCALING_* variables, e.g. {"SCALING_LIMIT_CAPACITY": "10"}.
    """
    if count < 1 or workers < 1:
        raise ValueError(f"need at least one instance and one worker, not {count} × {workers}")
    instances = [Instance(f"app-{n}", free_port()) for n in range(count)]
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for instance in instances:
            env = {**services, **(settings or {}), "SCALING_INSTANCE_NAME": instance.name}
            log = open(log_dir / f"{instance.name}.log", "ab") if log_dir else None  # noqa: SIM115
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    uvicorn_argv(instance.port, workers),
                    env={**_inherited(), **env},
                    stdout=log or subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
            )
        # All start in parallel: on a busy machine one import of FastAPI takes seconds.
        for instance, process in zip(instances, processes, strict=True):
            wait_for_port(instance.port, process=process, name=instance.name, timeout_s=timeout_s)
            if workers > 1:
                wait_for_workers(instance, workers, timeout_s)
        yield instances
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            if log:
                log.close()


def wait_for_workers(instance: Instance, workers: int, timeout_s: float) -> None:
    """Poll until `workers` different processes have answered, or fail at the deadline.

    With `--workers`, the port opens before the workers finish importing the app. Each probe is
    a new connection to a CPU-bound route, so a busy worker leaves the next accept to another.
    """
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s

    def probe(_: int) -> str:
        response = httpx.get(f"{instance.url}/cpu", params={"n": 100_000}, timeout=timeout_s)
        return str(response.headers.get(INSTANCE_HEADER, "?"))

    with ThreadPoolExecutor(2 * workers) as pool:
        while len(seen) < workers:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{instance.name}: {len(seen)} of {workers} workers answered")
            seen.update(pool.map(probe, range(4 * workers)))


def _inherited() -> dict[str, str]:
    # Our own SCALING_* variables must not leak into instances and override what we pass.
    return {k: v for k, v in os.environ.items() if not k.startswith("SCALING_")}
