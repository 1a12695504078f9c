"""The checker on hand-made histories whose verdict we know, including the tricky ones."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from cap_theorem.history import Kind, Operation, Status
from cap_theorem.linearizability import check_register


def op(
    client: int,
    kind: Kind,
    value: int | None,
    invoked: float,
    completed: float,
    status: Status = "ok",
) -> Operation:
    return Operation(client, kind, value, invoked, completed, status)


def test_an_empty_history_is_linearizable() -> None:
    # Nothing happened, so nothing can be out of order.
    assert check_register([]).linearizable is True


def test_a_read_after_a_write_that_sees_it_is_linearizable() -> None:
    # The textbook case: write 1 finishes, then a read returns 1.
    history = [op(0, "write", 1, 0.0, 1.0), op(1, "read", 1, 2.0, 3.0)]

    assert check_register(history).linearizable is True


def test_a_read_of_an_overwritten_value_is_a_stale_read() -> None:
    # Once write 2 has finished, no later read may return the 1 it replaced.
    history = [
        op(0, "write", 1, 0.0, 1.0),
        op(0, "write", 2, 2.0, 3.0),
        op(1, "read", 1, 4.0, 5.0),
    ]

    verdict = check_register(history)

    assert verdict.linearizable is False
    assert verdict.explanation == (
        "client 1's read returning 1 (4.000 s → 5.000 s), but by then the register could only"
        " hold 2: a stale read, the client 0's write of 2 (2.000 s → 3.000 s) had already replaced it"
    )


def test_a_read_of_a_value_nobody_wrote_is_reported_as_such() -> None:
    # A register cannot invent values.
    history = [op(0, "write", 1, 0.0, 1.0), op(1, "read", 9, 2.0, 3.0)]

    verdict = check_register(history)

    assert verdict.linearizable is False
    assert verdict.explanation.endswith(": no write of 9 succeeded")


def test_a_read_before_any_write_sees_the_empty_register() -> None:
    # The register starts empty; a read that finished before the write began must say so.
    good = [op(1, "read", None, 0.0, 1.0), op(0, "write", 1, 2.0, 3.0)]
    bad = [op(1, "read", 1, 0.0, 1.0), op(0, "write", 1, 2.0, 3.0)]

    assert check_register(good).linearizable is True
    assert check_register(bad).linearizable is False


def test_a_read_concurrent_with_a_write_may_return_either_value() -> None:
    # Overlapping operations may take effect in either order.
    write = op(0, "write", 1, 0.0, 10.0)

    assert check_register([write, op(1, "read", None, 1.0, 2.0)]).linearizable is True
    assert check_register([write, op(1, "read", 1, 1.0, 2.0)]).linearizable is True


def test_a_read_may_see_a_write_invoked_after_the_read_began() -> None:
    # Known good, though it looks like reading the future: the write fits inside the read.
    history = [op(1, "read", 1, 0.0, 5.0), op(0, "write", 1, 1.0, 2.0)]

    assert check_register(history).linearizable is True


def test_new_then_old_during_one_write_is_not_linearizable() -> None:
    # Known tricky: each read overlaps the write, so each alone is fine; but once a read has
    # returned the new value, a read that starts later may not return the old one.
    history = [
        op(0, "write", 1, 0.0, 10.0),
        op(1, "read", 1, 1.0, 2.0),
        op(2, "read", None, 3.0, 4.0),
    ]

    verdict = check_register(history)

    assert verdict.linearizable is False
    assert verdict.explanation.startswith("client 2's read returning nothing (3.000 s → 4.000 s)")


def test_two_clients_seeing_two_writes_in_opposite_orders_is_not_linearizable() -> None:
    # Known tricky, and a checker that never backtracks gets it wrong: every read overlaps both
    # writes, yet client 2 sees 1 then 2 and client 3 sees 2 then 1: no single order explains both.
    history = [
        op(0, "write", 1, 0.0, 10.0),
        op(1, "write", 2, 0.0, 10.0),
        op(2, "read", 1, 1.0, 2.0),
        op(2, "read", 2, 3.0, 4.0),
        op(3, "read", 2, 1.0, 2.0),
        op(3, "read", 1, 3.0, 4.0),
    ]

    assert check_register(history).linearizable is False


def test_the_same_reads_in_agreeing_orders_are_linearizable() -> None:
    # The control for the test above: both clients see 1 then 2.
    history = [
        op(0, "write", 1, 0.0, 10.0),
        op(1, "write", 2, 0.0, 10.0),
        op(2, "read", 1, 1.0, 2.0),
        op(2, "read", 2, 3.0, 4.0),
        op(3, "read", 1, 1.0, 2.0),
        op(3, "read", 2, 3.0, 4.0),
    ]

    assert check_register(history).linearizable is True


def test_a_failed_write_never_happened() -> None:
    # The server refused it, so a read that returns its value is a violation.
    history = [op(0, "write", 1, 0.0, 1.0, "fail"), op(1, "read", 1, 2.0, 3.0)]

    verdict = check_register(history)

    assert verdict.linearizable is False
    assert verdict.explanation.endswith(": no write of 1 succeeded")


def test_a_write_of_unknown_outcome_may_take_effect_much_later() -> None:
    # A timed-out write may still land at any later moment, so reading it long after is fine...
    history = [
        op(0, "write", 1, 0.0, 1.0, "info"),
        op(1, "read", None, 2.0, 3.0),
        op(1, "read", 1, 8.0, 9.0),
    ]

    assert check_register(history).linearizable is True


def test_a_write_of_unknown_outcome_may_also_never_happen() -> None:
    # ...and may equally never land: reads of the old value stay fine.
    history = [op(0, "write", 1, 0.0, 1.0, "info"), op(1, "read", None, 2.0, 3.0)]

    assert check_register(history).linearizable is True


def test_the_search_gives_up_with_unknown_rather_than_guessing() -> None:
    # Twenty fully concurrent writes then a read of a value nobody wrote: ruling out every
    # order of the writes takes far more than the thousand states allowed.
    history = [op(i, "write", i, 0.0, 100.0) for i in range(20)]
    history.append(op(20, "read", 99, 101.0, 102.0))

    verdict = check_register(history, max_states=1_000)

    assert verdict.linearizable is None
    assert verdict.label == "unknown"
    assert verdict.explanation == "gave up after 1,000 states"


@st.composite
def histories_of_a_sequential_register(draw: st.DrawFn) -> list[Operation]:
    """Run a register one operation at a time, then stretch each operation around its instant."""
    value: int | None = None
    history = []
    for instant in range(1, draw(st.integers(1, 25)) + 1):
        kind: Kind = draw(st.sampled_from(["read", "write"]))
        if kind == "write":
            value = instant
        widen_before, widen_after = draw(st.floats(0, 3)), draw(st.floats(0, 3))
        history.append(op(instant % 4, kind, value, instant - widen_before, instant + widen_after))
    return history


@given(histories_of_a_sequential_register())
def test_any_history_that_really_ran_one_at_a_time_is_linearizable(
    history: list[Operation],
) -> None:
    # Each operation's interval contains the instant it took effect, so that order must be found.
    assert check_register(history).linearizable is True


@given(histories_of_a_sequential_register(), st.data())
def test_any_such_history_with_one_invented_read_names_that_read_as_the_cause(
    history: list[Operation], data: st.DataObject
) -> None:
    # One read of a value nobody wrote spoils any history, however its intervals overlap, and
    # everything that completed before it still fits: so it, and nothing else, is the first cause.
    reads = [operation for operation in history if operation.kind == "read"]
    if not reads:
        invented = op(9, "read", -1, 0.0, 1.0)
        history.append(invented)
    else:
        invented = data.draw(st.sampled_from(reads))
        invented.value = -1

    verdict = check_register(history)

    assert verdict.linearizable is False
    assert verdict.culprit is invented
    assert verdict.explanation.startswith(invented.describe())
    assert verdict.explanation.endswith(": no write of -1 succeeded")


def test_an_invented_read_that_ends_with_a_write_is_still_the_one_blamed() -> None:
    # Found by the property above: the write and the read complete at the same instant, and the
    # checker once blamed whichever it met first. The write fits on its own; the read never does.
    history = [op(1, "write", 1, 0.0, 1.0), op(9, "read", -1, 0.0, 1.0)]

    verdict = check_register(history)

    assert verdict.culprit is history[1]
    assert verdict.explanation == (
        "client 9's read returning -1 (0.000 s → 1.000 s), but by then the register could only"
        " hold 1 or nothing: no write of -1 succeeded"
    )


@st.composite
def any_histories(draw: st.DrawFn) -> list[Operation]:
    """Small histories with no promise of being linearizable: random values, overlaps, outcomes."""
    history = []
    for client in range(draw(st.integers(1, 8))):
        invoked = draw(st.integers(0, 10))
        status: Status = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
        kind: Kind = draw(st.sampled_from(["read", "write"]))
        value = (
            draw(st.sampled_from([None, 1, 2, 3])) if kind == "read" else draw(st.integers(1, 3))
        )
        history.append(op(client, kind, value, invoked, invoked + draw(st.integers(0, 4)), status))
    return history


def known_when(history: list[Operation], last: Operation, *, inclusive: bool) -> list[Operation]:
    """The history as known when `last` completed: outcomes that came later become unknown."""
    cutoff = (last.completed, last.invoked)

    def known(o: Operation) -> bool:
        order = (o.completed, o.invoked)
        return order <= cutoff if inclusive else order < cutoff

    return [o if o.status != "ok" or known(o) else replace(o, status="info") for o in history]


@given(any_histories())
def test_the_culprit_is_the_first_completion_after_which_no_order_fits(
    history: list[Operation],
) -> None:
    # What the explanation guarantees: up to and including the culprit no order fits; up to just
    # before it one does. So the operation named is the earliest cause, whichever order ops arrive.
    verdict = check_register(history)
    if verdict.linearizable is not False:
        return
    culprit = verdict.culprit
    assert culprit is not None and culprit.status == "ok"

    assert check_register(known_when(history, culprit, inclusive=True)).linearizable is False
    assert check_register(known_when(history, culprit, inclusive=False)).linearizable is True
    assert verdict.explanation.startswith(culprit.describe())
