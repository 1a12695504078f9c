"""The theorem observed: real redis-server processes, a real partition, a checked history.

Each scenario runs once per module (a couple of seconds) and several tests read its evidence.
"""

import asyncio

import pytest

from backing_services.local_processes import redis_server_available
from cap_theorem.metrics import Summary, lost_writes, stale_reads, summarize
from cap_theorem.scenarios import (
    AP,
    CP,
    FENCED_SPLIT_BRAIN,
    SINGLE_NODE,
    SPLIT_BRAIN,
    Mode,
    ScenarioRun,
    run_scenario,
)
from cap_theorem.settings import CapTheoremSettings

pytestmark = pytest.mark.skipif(
    not redis_server_available(), reason="needs the redis-server binary on PATH"
)


def run(mode: Mode, settings: CapTheoremSettings) -> tuple[ScenarioRun, Summary]:
    scenario = asyncio.run(run_scenario(mode, settings))
    return scenario, summarize(scenario)


@pytest.fixture(scope="module")
def single_node(short_settings: CapTheoremSettings) -> tuple[ScenarioRun, Summary]:
    return run(SINGLE_NODE, short_settings)


@pytest.fixture(scope="module")
def ap(short_settings: CapTheoremSettings) -> tuple[ScenarioRun, Summary]:
    return run(AP, short_settings)


@pytest.fixture(scope="module")
def cp(short_settings: CapTheoremSettings) -> tuple[ScenarioRun, Summary]:
    return run(CP, short_settings)


@pytest.fixture(scope="module")
def split_brain(short_settings: CapTheoremSettings) -> tuple[ScenarioRun, Summary]:
    return run(SPLIT_BRAIN, short_settings)


def during(scenario: ScenarioRun, time_s: float) -> bool:
    assert scenario.partition is not None
    start, end = scenario.partition
    return start <= time_s <= end


def test_one_redis_node_serving_every_client_is_linearizable(
    single_node: tuple[ScenarioRun, Summary],
) -> None:
    # One node executes commands one at a time: every history it produces must check out.
    _, summary = single_node

    assert summary.ok > 100
    assert summary.failed == 0
    assert summary.verdict.linearizable is True
    assert summary.stale_reads == 0
    assert summary.lost_writes == 0


def test_ap_mode_answers_every_request_during_the_partition(
    ap: tuple[ScenarioRun, Summary],
) -> None:
    # Available: every operation, including those inside the partition, got a successful answer.
    scenario, summary = ap

    inside = [op for op in scenario.history.operations if during(scenario, op.invoked)]
    assert inside, "the workload ran during the partition"
    assert summary.failed == 0
    assert summary.availability == 1.0


def test_ap_mode_serves_stale_reads_during_the_partition_and_the_checker_finds_them(
    ap: tuple[ScenarioRun, Summary],
) -> None:
    # Not consistent: the replica keeps answering with what it had when it was cut off.
    scenario, summary = ap

    stale_inside = [
        op for op in stale_reads(scenario.history.operations) if during(scenario, op.invoked)
    ]
    assert stale_inside
    assert all(op.node == "replica" for op in stale_inside)
    assert summary.verdict.linearizable is False
    assert "but by then the register could only hold" in summary.verdict.explanation


def test_ap_mode_loses_no_acknowledged_write_without_a_failover(
    ap: tuple[ScenarioRun, Summary],
) -> None:
    # Staleness is not loss: after the heal, the replica catches up and nothing acknowledged is gone.
    scenario, summary = ap

    assert summary.lost_writes == 0
    assert len(scenario.final_writes) == sum(
        op.kind == "write" and op.status == "ok" for op in scenario.history.operations
    )


def test_cp_mode_refuses_writes_during_the_partition(cp: tuple[ScenarioRun, Summary]) -> None:
    # Not available: the primary refuses writes it cannot replicate, with Redis's own words.
    scenario, summary = cp

    refused = [
        op
        for op in scenario.history.operations
        if op.kind == "write" and op.status == "fail" and during(scenario, op.invoked)
    ]
    assert refused
    assert {op.error for op in refused} == {"NOREPLICAS Not enough good replicas to write."}
    assert summary.availability < 1.0


def test_cp_mode_replica_refuses_reads_rather_than_answer_stale(
    cp: tuple[ScenarioRun, Summary],
) -> None:
    # The replica, cut off, says MASTERDOWN instead of returning what it last had
    # (redis-py keeps the words after the error code).
    scenario, summary = cp

    refused = [
        op
        for op in scenario.history.operations
        if op.kind == "read" and op.status == "fail" and during(scenario, op.invoked)
    ]
    assert refused
    assert {op.error for op in refused} == {
        "Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    }
    assert summary.stale_reads == 0


def test_cp_mode_history_is_linearizable_despite_the_partition(
    cp: tuple[ScenarioRun, Summary],
) -> None:
    # Consistent: whatever was answered fits one order, and nothing acknowledged was lost.
    _, summary = cp

    assert summary.verdict.linearizable is True
    assert summary.lost_writes == 0
    assert summary.ok > 0


def test_split_brain_loses_exactly_the_writes_the_old_primary_acknowledged_during_the_partition(
    split_brain: tuple[ScenarioRun, Summary],
) -> None:
    # Both sides took writes; at the heal the old primary resyncs from the new one and drops its own.
    scenario, summary = split_brain
    assert scenario.partition is not None
    cut_at = scenario.partition[0]

    acknowledged_by_old_primary_after_the_cut = {
        op.value
        for op in scenario.history.operations
        if op.kind == "write"
        and op.status == "ok"
        and op.node == "primary"
        and op.invoked >= cut_at
    }
    lost = {op.value for op in lost_writes(scenario.history.operations, scenario.final_writes)}

    assert len(lost) > 0
    assert lost == acknowledged_by_old_primary_after_the_cut
    assert summary.lost_writes == len(acknowledged_by_old_primary_after_the_cut)


def test_split_brain_both_sides_acknowledged_writes_during_the_partition(
    split_brain: tuple[ScenarioRun, Summary],
) -> None:
    # That is what makes it a split brain: two primaries each saying "ok" at the same time.
    scenario, summary = split_brain

    acknowledged = {
        op.node
        for op in scenario.history.operations
        if op.kind == "write" and op.status == "ok" and during(scenario, op.invoked)
    }
    assert acknowledged == {"primary", "replica"}
    assert summary.verdict.linearizable is False


def test_split_brain_old_primary_refuses_writes_once_demoted(
    split_brain: tuple[ScenarioRun, Summary],
) -> None:
    # After the heal, clients still pointed at the old primary are told it is now read-only
    # (Redis says "READONLY You can't…"; redis-py keeps the words after the error code).
    scenario, _ = split_brain
    assert scenario.partition is not None

    after_heal = [
        op
        for op in scenario.history.operations
        if op.kind == "write" and op.node == "primary" and op.invoked > scenario.partition[1]
    ]
    assert after_heal
    assert {op.error for op in after_heal} == {"You can't write against a read only replica."}


@pytest.fixture(scope="module")
def fenced_split_brain(short_settings: CapTheoremSettings) -> tuple[ScenarioRun, Summary]:
    return run(FENCED_SPLIT_BRAIN, short_settings)


def test_fenced_split_brain_old_primary_refuses_writes_once_alone_and_none_are_lost(
    fenced_split_brain: tuple[ScenarioRun, Summary],
) -> None:
    # min-replicas-to-write on the old primary turns its acknowledged-then-lost writes into refusals.
    scenario, summary = fenced_split_brain

    old_primary_writes = [
        op
        for op in scenario.history.operations
        if op.kind == "write" and op.node == "primary" and during(scenario, op.invoked)
    ]
    assert old_primary_writes
    assert {op.error for op in old_primary_writes} == {
        "NOREPLICAS Not enough good replicas to write."
    }
    assert summary.lost_writes == 0


def test_fenced_split_brain_still_serves_stale_reads_so_it_is_not_linearizable(
    fenced_split_brain: tuple[ScenarioRun, Summary],
) -> None:
    # Fencing writes is not fencing reads: the old primary still answers reads with old data.
    scenario, summary = fenced_split_brain

    new_primary_acknowledged = [
        op
        for op in scenario.history.operations
        if op.kind == "write"
        and op.node == "replica"
        and op.status == "ok"
        and during(scenario, op.invoked)
    ]
    assert new_primary_acknowledged
    assert summary.stale_reads > 0
    assert summary.verdict.linearizable is False
