"""The README reader: card, follow-ups and proof rows come from markdown-it-py's tokens."""

from __future__ import annotations

from pathlib import Path

from drill.readme import discover, parse
from drill.rules import cited_test_problems, link_problems
from tests.drill.conftest import FIXTURE_REPO

COUNTER = FIXTURE_REPO / "counter" / "README.md"


def test_the_title_card_follow_ups_and_proof_rows_are_read() -> None:
    answer = parse(COUNTER)
    assert answer.question == "How would you count page views at scale?"
    assert answer.card[0].text.startswith("I count in three steps.")
    assert len(answer.follow_ups) == 6
    assert answer.follow_ups[0].question == "Why not keep a counter per server?"
    assert [row.claim for row in answer.proof][:2] == [
        "concurrent increments are all counted",
        "a negative amount is refused",
    ]


def test_the_cards_bold_signposts_are_kept() -> None:
    card = parse(COUNTER).card
    assert card[0].strong == ("Where to count", "How to add", "How it fails")


def test_a_follow_ups_cite_line_is_split_from_its_answer() -> None:
    follow_up = parse(COUNTER).follow_ups[0]
    assert all(not block.text.startswith("Cite:") for block in follow_up.answer)
    assert follow_up.cite is not None
    assert [link.test_name for link in follow_up.cite.links] == [
        None,
        "test_concurrent_increments_are_all_counted",
    ]


def test_a_heading_inside_a_code_block_is_not_a_follow_up(tmp_path: Path) -> None:
    text = COUNTER.read_text().replace(
        "## The picture", "```markdown\n### Not a question?\n```\n\n## The picture"
    )
    (tmp_path / "counter").mkdir()
    readme = tmp_path / "counter" / "README.md"
    readme.write_text(text.replace("## If they push", "## If they push\n\n```\n### Nor this?\n```"))
    assert len(parse(readme).follow_ups) == 6


def test_only_readmes_with_a_card_are_drilled() -> None:
    assert [answer.package for answer in discover(FIXTURE_REPO)] == ["counter", "greeting"]
    assert discover(FIXTURE_REPO / "tests") == []


def test_the_drills_own_readme_links_resolve_and_name_existing_tests() -> None:
    readme = parse(Path(__file__).resolve().parents[2] / "drill" / "README.md")
    assert link_problems(readme) == []
    named = [link for link in readme.links if link.test_name]
    assert len(named) >= 8
    assert [p for link in named for p in cited_test_problems(readme, link)] == []
