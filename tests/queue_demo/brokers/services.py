"""Where the brokers are for a test run: `AMQP_URL` / `NATS_URL` if set (they must answer); if unset,
the local servers CI starts; failing those, throwaway containers when Docker answers; else one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from backing_services import ServiceUnavailable
from backing_services.resolve import docker_answers
from queue_demo.brokers.common import BrokerSettings, require_answering


@dataclass(frozen=True)
class BrokerURLs:
    amqp_url: str
    nats_url: str


def resolve_brokers(stack: ExitStack) -> BrokerURLs:
    """Both brokers' URLs, containers started on `stack` if needed; ServiceUnavailable in one line."""
    defaults = BrokerSettings()
    return BrokerURLs(
        amqp_url=_resolve("RabbitMQ", "AMQP_URL", defaults.amqp_url, _start_rabbitmq, stack),
        nats_url=_resolve("NATS", "NATS_URL", defaults.nats_url, _start_nats, stack),
    )


def _resolve(
    name: str, env: str, default: str, start: Callable[[ExitStack], str], stack: ExitStack
) -> str:
    timeout_s = BrokerSettings().broker_connect_timeout_s
    chosen = os.environ.get(env)
    try:
        require_answering(name, chosen or default, env, timeout_s)
        return chosen or default
    except ServiceUnavailable as error:
        if chosen is not None:
            raise  # the URL someone set does not answer: say so, do not paper over it
        if not docker_answers(timeout_s):
            raise ServiceUnavailable(
                f"{error}, and no Docker engine answers: start {name}, or set {env}"
            ) from None
    return start(stack)


def _start_rabbitmq(stack: ExitStack) -> str:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    # RabbitMQ lets `guest` in from localhost only; a container's port is not localhost to it.
    container = (
        DockerContainer("rabbitmq:4-alpine")
        .with_exposed_ports(5672)
        .with_env("RABBITMQ_DEFAULT_USER", "test")
        .with_env("RABBITMQ_DEFAULT_PASS", "test")
    )
    stack.enter_context(container)
    wait_for_logs(container, "Server startup complete", timeout=120)
    host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
    return f"amqp://test:test@{host}:{port}/"


def _start_nats(stack: ExitStack) -> str:
    from testcontainers.community.nats import NatsContainer

    container = NatsContainer("nats:2-alpine", jetstream=True)
    stack.enter_context(container)
    return str(container.nats_uri())
