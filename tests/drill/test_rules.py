"""Each CONTRIBUTING.md rule, broken once in a copy of the stand-in README, is reported by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from drill.readme import Block, parse
from drill.rules import problems, sentences
from tests.drill.conftest import FIXTURE_REPO

FIRST_CITE = (
    "Cite: [`counter.py`](counter.py) · "
    "[`test_counter.py::test_concurrent_increments_are_all_counted`](../tests/counter/test_counter.py)"
)


def broken(repo: Path, old: str, new: str) -> list[str]:
    """The problems of the counter README after replacing its first `old` with `new`."""
    readme = repo / "counter" / "README.md"
    text = readme.read_text()
    assert old in text, old
    readme.write_text(text.replace(old, new, 1))
    return problems(parse(readme), repo)


@pytest.mark.parametrize("package", ["counter", "greeting"])
def test_the_stand_in_readmes_keep_every_rule(package: str) -> None:
    assert problems(parse(FIXTURE_REPO / package / "README.md"), FIXTURE_REPO) == []


def test_a_card_over_150_words_is_reported(repo: Path) -> None:
    found = broken(repo, "I count in three steps.", "I count " + "very " * 150 + "carefully.")
    assert any(p.startswith("the card has 2") and "words (at most 150)" in p for p in found)


def test_a_card_over_8_sentences_is_reported(repo: Path) -> None:
    found = broken(repo, "I count in three steps.", "Yes. " * 8 + "I count.")
    assert any("sentences (at most 8)" in p for p in found)


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    text = "Pick one, e.g. Redis, i.e. a store, vs. PostgreSQL etc. and 0.5 of it. Done!"
    assert sentences([Block(text)]) == 2


@pytest.mark.parametrize("wording", ["see issue 24", "TODO", "goal ≥ 2x"])
def test_internal_wording_in_a_card_is_reported(repo: Path, wording: str) -> None:
    found = broken(repo, "I count in three steps.", f"I count in three steps, {wording}.")
    assert any("(internal wording)" in p for p in found)


@pytest.mark.parametrize("figure", ["2.19x faster", "43 % fewer", "0.9 s per hash"])
def test_a_measured_figure_in_a_card_is_reported(repo: Path, figure: str) -> None:
    found = broken(repo, "I count in three steps.", f"I count in three steps, {figure}.")
    assert any("measured figure" in p for p in found)


def test_a_card_that_is_not_first_is_reported(repo: Path) -> None:
    found = broken(repo, "## The card", "## Background\n\nFirst.\n\n## The card")
    assert "the first sections must be `## The card` then `## If they push`" in found


def test_fewer_than_6_follow_ups_are_reported(repo: Path) -> None:
    found = broken(repo, "### Why not keep a counter per server?", "Why not keep a counter?")
    assert "`## If they push` has 5 `###` questions (6 to 10)" in found


def test_a_follow_up_over_60_words_is_reported(repo: Path) -> None:
    found = broken(repo, "with it.", "with it" + " and more" * 30 + ".")
    assert any(p.startswith("follow-up 'Why not keep") and "(at most 60)" in p for p in found)


def test_a_follow_up_without_a_cite_line_is_reported(repo: Path) -> None:
    found = broken(repo, FIRST_CITE, "")
    assert (
        "follow-up 'Why not keep a counter per server?': does not end with a `Cite:` line" in found
    )


def test_a_cite_line_without_a_test_is_reported(repo: Path) -> None:
    found = broken(repo, FIRST_CITE, "Cite: [`counter.py`](counter.py)")
    assert any("Cite names no file and test" in p for p in found)


def test_a_cite_naming_a_missing_test_function_is_reported(repo: Path) -> None:
    found = broken(repo, "::test_concurrent_increments_are_all_counted`", "::test_gone`")
    assert any("no function test_gone in ../tests/counter/test_counter.py" in p for p in found)


def test_a_proof_row_naming_only_a_file_is_reported(repo: Path) -> None:
    old = "| [`test_counter.py::test_a_negative_amount_is_refused`]"
    found = broken(repo, old, "| [`test_counter.py`]")
    assert (
        "proof 'a negative amount is refused': names no `file.py::test_name` nor a benchmark"
        in found
    )


def test_a_link_that_does_not_resolve_is_reported(repo: Path) -> None:
    found = broken(repo, "[The counter](counter.py)", "[The counter](gone.py)")
    assert "link 'gone.py' ('The counter') does not resolve" in found
