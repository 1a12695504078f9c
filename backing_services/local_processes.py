"""Demos and tests that need more processes (a replica, a second app instance) start them here.

Each process gets a free loopback port, is waited for with a deadline, and is always stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; a tiny race remains, as everywhere)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def port_answers(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int,
    *,
    host: str = LOOPBACK,
    timeout_s: float = 15.0,
    process: subprocess.Popen[bytes] | None = None,
    name: str = "process",
) -> None:
    """Poll until something accepts connections on the port, the process dies, or time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} before listening")
        if port_answers(port, host):
            return
        time.sleep(0.02)
    raise TimeoutError(f"{name} did not listen on {host}:{port} within {timeout_s:.0f} s")


def stop(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM, wait up to the grace period, then SIGKILL; never leaves a zombie behind."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(
    argv: Sequence[str],
    *,
    port: int | None,
    name: str,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout_s: float = 15.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv`, wait until it listens on `port` (if it serves one), yield it, and stop it."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        list(argv),
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if port is not None:
            wait_for_port(port, process=process, name=name, timeout_s=timeout_s)
        yield process
    finally:
        stop(process)
        if log_path:
            log.close()  # type: ignore[union-attr]


def redis_server_available() -> bool:
    return shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


def redis_server_argv(port: int, *extra: str) -> list[str]:
    """A throwaway redis-server: loopback only, nothing saved to disk, its own port."""
    return [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        LOOPBACK,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
        *extra,
    ]
