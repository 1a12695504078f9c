"""`python -m drill prove`: list a README's claims, run one, and say what it showed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.drill.conftest import drill


def test_without_a_claim_the_proof_table_is_listed() -> None:
    result = drill("prove", "counter")
    assert result.returncode == 0, result.stderr
    assert "concurrent increments are all counted" in result.stdout
    assert "test_a_negative_amount_is_refused" in result.stdout
    assert "python -m drill prove counter NUMBER" in result.stdout


def test_a_claim_that_holds_prints_the_test_pass_and_the_figure_it_printed() -> None:
    result = drill("prove", "counter", "1")
    assert result.returncode == 0, result.stderr
    assert "Claim 1 (counter): concurrent increments are all counted" in result.stdout
    assert (
        "tests/counter/test_counter.py::test_concurrent_increments_are_all_counted" in result.stdout
    )
    assert "PASS test_concurrent_increments_are_all_counted" in result.stdout
    assert "counted 1000 of 1000 increments" in result.stdout
    assert "threads = 4" in result.stdout


def test_a_claim_that_fails_prints_the_assertion_and_exits_1() -> None:
    result = drill("prove", "counter", "negative", "refused")
    assert result.returncode == 1
    assert "FAIL test_a_negative_amount_is_refused" in result.stdout
    assert "AssertionError: a negative amount was added" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "drill: no Proof table in 'nope'; choose from counter, greeting"),
        (["counter", "9"], "drill: counter has claims 1 to 3; there is no claim 9"),
        (["counter", "teapot"], "drill: no claim in counter mentions 'teapot'"),
        (["counter", "a"], "drill: 'a' matches claims 1, 2, 3 of counter; pick one number"),
        (["counter", "3"], "drill: claim 3 of counter is shown by bench_counter.py, not a test"),
    ],
    ids=["unknown package", "claim out of range", "no claim matches", "ambiguous", "benchmark"],
)
def test_a_claim_that_cannot_be_run_is_refused_in_one_line(args: list[str], message: str) -> None:
    result = drill("prove", *args)
    assert result.returncode == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""


def test_a_service_that_is_down_is_named_in_one_line(repo: Path) -> None:
    # The real suite's conftest stops the run this way when Redis or PostgreSQL does not answer.
    (repo / "conftest.py").write_text(
        "import pytest\n\n\ndef pytest_sessionstart(session):\n"
        "    pytest.exit('Redis is not answering at 127.0.0.1:1 (REDIS_URL)', returncode=3)\n"
    )
    result = drill("prove", "counter", "1", root=repo)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "drill: pytest ran no test: Redis is not answering at 127.0.0.1:1 (REDIS_URL)\n"
    )
