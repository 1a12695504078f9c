"""The questions a drill asks: each README's card and each of its follow-ups, as one flat list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from drill.readme import Answer, Link

Kind = Literal["card", "follow-up"]
# Seconds to aim for when answering out loud: a card is 150 words, a follow-up 60 (~2.5 words/s).
AIM_SECONDS: dict[Kind, int] = {"card": 60, "follow-up": 25}


@dataclass(frozen=True)
class Question:
    key: str  # stable across runs while the README's wording of the question stays
    package: str
    kind: Kind
    prompt: str
    answer: str  # Markdown: the card, or the follow-up's answer
    cite: tuple[str, ...]  # files to cite, repo-relative
    tests: tuple[str, ...]  # `file.py::test_name` as the README writes it
    signposts: tuple[str, ...] = ()  # the answer's bold phrases, shown bold again on reveal

    @property
    def aim_seconds(self) -> int:
        return AIM_SECONDS[self.kind]


def _relative(answer: Answer, link: Link, root: Path) -> str:
    target = (answer.path.parent / link.href.split("#")[0]).resolve()
    try:
        return str(target.relative_to(root.resolve()))
    except ValueError:
        return link.href


def questions(answers: list[Answer], root: Path) -> list[Question]:
    """In README order: each package's card, then its follow-ups."""
    found: list[Question] = []
    for answer in answers:
        card = "\n\n".join(block.text for block in answer.card)
        bold = tuple(phrase for block in answer.card for phrase in block.strong)
        key = f"{answer.package}::card"
        found.append(Question(key, answer.package, "card", answer.question, card, (), (), bold))
        for follow_up in answer.follow_ups:
            links = follow_up.cite.links if follow_up.cite else ()
            cite = tuple(_relative(answer, link, root) for link in links if not link.test_name)
            tests = tuple(link.text for link in links if link.test_name)
            text = "\n\n".join(b.text for b in follow_up.answer)
            bold = tuple(phrase for block in follow_up.answer for phrase in block.strong)
            key = f"{answer.package}::{follow_up.question}"
            found.append(
                Question(
                    key, answer.package, "follow-up", follow_up.question, text, cite, tests, bold
                )
            )
    return found
