"""One run of the theorem: start a primary and replica, run clients, cut the link, heal it.

Each mode is the same topology with different knobs; the recorded history is the evidence.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cap_theorem.cluster import (
    Cluster,
    demote,
    primary_and_replica,
    promote,
    wait_until_in_sync,
    wait_until_partitioned,
)
from cap_theorem.history import History
from cap_theorem.settings import CapTheoremSettings
from cap_theorem.workload import KEY, Gate, Route, Workload, connect, run_client

Routing = Literal["one node", "write primary, read replica", "each side its own node"]


@dataclass(frozen=True)
class Mode:
    name: str
    description: str
    routing: Routing
    partition: bool = True
    failover: bool = False
    wait_for_replica: bool = False
    primary_config: tuple[str, ...] = ()
    replica_config: tuple[str, ...] = ()


SINGLE_NODE = Mode(
    "single node",
    "every client reads and writes the primary (the replica runs, unread); no partition",
    "one node",
    False,
)
AP = Mode(
    "AP",
    "writes to the primary, reads from the replica, asynchronous replication",
    "write primary, read replica",
)
CP = Mode(
    "CP",
    "the primary refuses writes without a replica (min-replicas-to-write 1), each write WAITs"
    " for the replica, and the replica refuses reads once cut off (replica-serve-stale-data no)",
    "write primary, read replica",
    wait_for_replica=True,
    primary_config=("--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"),
    replica_config=("--replica-serve-stale-data", "no"),
)
SPLIT_BRAIN = Mode(
    "split brain",
    "the replica is promoted during the partition; each side's clients use their own side",
    "each side its own node",
    failover=True,
)
FENCED_SPLIT_BRAIN = Mode(
    "split brain, fenced",
    "as split brain, but the old primary accepts writes only while a replica is connected"
    " (min-replicas-to-write 1), so it stops taking writes it is about to lose",
    "each side its own node",
    failover=True,
    primary_config=("--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"),
)
MODES = {
    "single-node": SINGLE_NODE,
    "ap": AP,
    "cp": CP,
    "split-brain": SPLIT_BRAIN,
    "split-brain-fenced": FENCED_SPLIT_BRAIN,
}


@dataclass
class ScenarioRun:
    mode: Mode
    history: History
    partition: tuple[float, float] | None = None
    events: list[tuple[float, str]] = field(default_factory=list)
    # What the surviving primary holds once everything has healed and synced.
    final_writes: list[int] = field(default_factory=list)


async def run_scenario(
    mode: Mode, settings: CapTheoremSettings, say: Callable[[str], None] = lambda _: None
) -> ScenarioRun:
    async with primary_and_replica(
        primary_config=mode.primary_config, replica_config=mode.replica_config
    ) as cluster:
        run = ScenarioRun(mode, History())

        def event(text: str) -> None:
            run.events.append((run.history.now(), text))
            say(f"{run.history.now():6.2f} s  {text}")

        event(
            f"primary on port {cluster.primary.port}, replica on {cluster.replica.port} (linked through a proxy)"
        )
        work = Workload(
            run.history,
            itertools.count(1),
            Gate(),
            asyncio.Event(),
            settings.think_ms / 1000,
            settings.wait_timeout_ms if mode.wait_for_replica else None,
        )
        routes = _routes(mode, cluster, settings)
        endpoints = {id(e): e for r in routes for e in (r.reads_from, r.writes_to)}.values()
        rng = random.Random(settings.seed)
        clients = [
            asyncio.create_task(run_client(i, route, work, random.Random(rng.random())))
            for i, route in enumerate(routes)
        ]
        try:
            await _fault_schedule(mode, cluster, settings, work, routes, event, run)
        finally:
            work.stop.set()
            await asyncio.gather(*clients)
            for endpoint in endpoints:
                await endpoint.connection.aclose()
        survivor, follower = (
            (cluster.replica, cluster.primary)
            if mode.failover
            else (cluster.primary, cluster.replica)
        )
        await wait_until_in_sync(survivor, follower)
        run.final_writes = [int(v) for v in await survivor.admin.lrange(KEY, 0, -1)]
        event(
            f"healed and in sync: the {survivor.name} process holds {len(run.final_writes)} writes"
        )
        return run


def _on_replica_side(client: int) -> bool:
    """In a split brain, odd clients sit with the replica, even ones with the old primary."""
    return client % 2 == 1


def _routes(mode: Mode, cluster: Cluster, settings: CapTheoremSettings) -> list[Route]:
    timeout = settings.operation_timeout_s
    routes = []
    for client in range(settings.clients):
        primary = connect("primary", cluster.primary.port, timeout)
        if mode.routing == "one node" or (
            mode.routing == "each side its own node" and not _on_replica_side(client)
        ):
            routes.append(Route(reads_from=primary, writes_to=primary))
        else:
            replica = connect("replica", cluster.replica.port, timeout)
            routes.append(Route(reads_from=replica, writes_to=primary))
    return routes


async def _fault_schedule(
    mode: Mode,
    cluster: Cluster,
    settings: CapTheoremSettings,
    work: Workload,
    routes: list[Route],
    event: Callable[[str], None],
    run: ScenarioRun,
) -> None:
    event(f"{len(routes)} clients start: {mode.description}")
    if not mode.partition:
        await asyncio.sleep(settings.healthy_s + settings.partition_s + settings.healed_s)
        return
    await asyncio.sleep(settings.healthy_s)  # the schedule runs on the wall clock by design
    # Cut at a quiet instant with the replica caught up, so every later loss is the partition's.
    async with work.gate.quiet():
        await wait_until_in_sync(cluster.primary, cluster.replica)
        cluster.link.cut()
        started = run.history.now()
        await wait_until_partitioned(cluster.primary, cluster.replica)
        event("PARTITION: the link between replica and primary is cut; both have noticed")
        if mode.failover:
            await promote(cluster.replica)
            for client, route in enumerate(routes):
                if _on_replica_side(client):  # this side follows the failover at once
                    route.writes_to = route.reads_from
            event("failover: the replica is promoted; clients on its side now write to it")
    await asyncio.sleep(settings.partition_s)
    async with work.gate.quiet():
        cluster.link.heal()
        run.partition = (started, run.history.now())
        event("HEAL: the link works again")
        if mode.failover:
            await demote(cluster.primary, cluster.replica)
            event("the old primary is demoted to a replica of the new one and resyncs from it")
    await asyncio.sleep(settings.healed_s)
    event("clients stop")
