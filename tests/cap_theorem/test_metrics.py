"""The client-side measures, on hand-made histories: stale reads, lost writes, latency."""

from cap_theorem.history import History, Kind, Operation, Status
from cap_theorem.metrics import lost_writes, p50_ms, stale_reads


def op(
    client: int,
    kind: Kind,
    value: int | None,
    invoked: float,
    completed: float,
    status: Status = "ok",
) -> Operation:
    return Operation(client, kind, value, invoked, completed, status)


def test_a_read_of_a_value_replaced_before_the_read_began_is_stale() -> None:
    # Write 2 began after write 1 ended and ended before the read began: reading 1 is stale.
    stale = op(2, "read", 1, 4.0, 5.0)
    history = [op(0, "write", 1, 0.0, 1.0), op(1, "write", 2, 2.0, 3.0), stale]

    assert stale_reads(history) == [stale]


def test_a_read_overlapping_the_newer_write_is_not_counted_stale() -> None:
    # Only certain staleness counts: the read overlaps write 2, so 1 was still a fair answer.
    history = [op(0, "write", 1, 0.0, 1.0), op(1, "write", 2, 2.0, 6.0), op(2, "read", 1, 4.0, 5.0)]

    assert stale_reads(history) == []


def test_reading_nothing_after_a_finished_write_is_stale() -> None:
    # The empty register is the oldest value of all.
    stale = op(1, "read", None, 2.0, 3.0)

    assert stale_reads([op(0, "write", 1, 0.0, 1.0), stale]) == [stale]


def test_lost_writes_are_the_acknowledged_ones_the_survivor_lacks() -> None:
    # Refused writes and writes of unknown outcome were never promised, so they are never "lost".
    acknowledged_and_lost = op(0, "write", 2, 1.0, 2.0)
    history = [
        op(0, "write", 1, 0.0, 1.0),
        acknowledged_and_lost,
        op(0, "write", 3, 2.0, 3.0, "fail"),
        op(0, "write", 4, 3.0, 4.0, "info"),
    ]

    assert lost_writes(history, final_writes=[1]) == [acknowledged_and_lost]


def test_p50_is_the_median_of_successful_operations_in_milliseconds() -> None:
    # Failed operations say nothing about how fast the store answers.
    history = [
        op(0, "write", 1, 0.0, 0.001),
        op(0, "write", 2, 1.0, 1.003),
        op(0, "write", 3, 2.0, 2.002),
        op(0, "write", 4, 3.0, 9.0, "fail"),
    ]

    median = p50_ms(history, "write")
    assert median is not None and abs(median - 2.0) < 1e-9
    assert p50_ms(history, "read") is None


def test_the_recorder_stamps_invocation_and_completion_in_order() -> None:
    # The history keeps what was asked and what came back, with completion after invocation.
    history = History()

    write = history.invoke(0, "write", "primary", value=7)
    history.complete(write, "ok")
    read = history.invoke(1, "read", "replica")
    history.complete(read, "fail", error="MASTERDOWN")

    assert [op.kind for op in history.operations] == ["write", "read"]
    assert write.completed is not None and write.completed >= write.invoked
    assert (read.status, read.error, read.value) == ("fail", "MASTERDOWN", None)
