"""The load balancer for horizontal scaling: nginx, configured here, round-robin over the instances.

Its config is generated into a temp dir and it runs in the foreground, so nothing outlives the run.
"""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from backing_services.local_processes import LOOPBACK, free_port, running
from scaling.instances import Instance

TEMPLATE = files("scaling").joinpath("nginx.conf").read_text(encoding="utf-8")
NGINX_MISSING = "nginx is not installed (Debian/Ubuntu: apt-get install nginx-light)"


def nginx_available() -> bool:
    return shutil.which("nginx") is not None


def render_config(instances: Sequence[Instance], port: int, directory: Path) -> str:
    if not instances:
        raise ValueError("a load balancer needs at least one instance")
    servers = "\n".join(f"        server {LOOPBACK}:{i.port};" for i in instances)
    # As root, nginx's workers would switch to `nobody`, who cannot write our temp dir.
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    return (
        TEMPLATE.replace("@@USER@@", user)
        .replace("@@DIR@@", str(directory))
        .replace("@@SERVERS@@", servers)
        .replace("@@PORT@@", str(port))
    )


@contextmanager
def nginx_in_front_of(instances: Sequence[Instance]) -> Iterator[str]:
    """Yield the balancer's URL; nginx and its temp dir are gone when the block ends."""
    if not nginx_available():
        raise RuntimeError(NGINX_MISSING)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="scaling-nginx-") as temp:
        directory = Path(temp)
        config = directory / "nginx.conf"
        config.write_text(render_config(instances, port, directory), encoding="utf-8")
        argv = ["nginx", "-p", temp, "-e", str(directory / "error.log"), "-c", str(config)]
        with running([*argv, "-g", "daemon off;"], port=port, name="nginx"):
            yield f"http://{LOOPBACK}:{port}"
