"""The rules of CONTRIBUTING.md for an answer README, as a list of what breaks them.

`tests/top/test_answer_cards.py` runs these over the real READMEs; the drill relies on them.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from drill.readme import CARD, PUSH, Answer, Block, Link

CARD_WORDS, CARD_SENTENCES, ANSWER_WORDS = 150, 8, 60
FOLLOW_UPS = range(6, 11)
# Words from the tracker or a plan, not from an answer a candidate gives.
INTERNAL = re.compile(r"\bissue\b|\bTODO\b|\bgoal\s*(≥|>=)", re.IGNORECASE)
# Figures that come from one run: a ratio (2.19x), a percentage, or a timing with decimals.
MEASURED = re.compile(r"\d+(\.\d+)?\s?(×|x\b|%)|\d+\.\d+\s?(ms|µs|us|s)\b")
# A sentence ends at . ! or ? followed by a space or the end (so `0.9` does not), except after
# the abbreviations a card may use.
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)[.!?](?=\s|$)")


def words(blocks: list[Block] | tuple[Block, ...]) -> int:
    return sum(len(block.text.split()) for block in blocks)


def sentences(blocks: list[Block]) -> int:
    return sum(max(1, len(SENTENCE_END.findall(block.text))) for block in blocks)


def resolve(answer: Answer, link: Link) -> Path | None:
    """The file a relative link points at, or None for a web link or an in-page anchor."""
    href = link.href.split("#")[0]
    if not href or re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
        return None
    return (answer.path.parent / href).resolve()


@cache
def defined_tests(path: Path) -> frozenset[str]:
    """Names of the `test_*` functions (and methods) defined in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def cited_test_problems(answer: Answer, link: Link) -> list[str]:
    """Why a `file.py::test_name` link does not name an existing test, if it does not."""
    target, name = resolve(answer, link), link.test_name
    if target is None or name is None or not target.is_file():
        return [f"`{link.text}` does not link an existing file ({link.href})"]
    if name not in defined_tests(target):
        return [f"`{link.text}`: no function {name} in {link.href}"]
    return []


def card_problems(answer: Answer) -> list[str]:
    if not answer.card:
        return [f"no `## {CARD}` section with text"]
    text = " ".join(block.text for block in answer.card)
    problems = []
    if (count := words(answer.card)) > CARD_WORDS:
        problems.append(f"the card has {count} words (at most {CARD_WORDS})")
    if (count := sentences(answer.card)) > CARD_SENTENCES:
        problems.append(f"the card has {count} sentences (at most {CARD_SENTENCES})")
    problems += [
        f"the card says {m.group(0)!r} (internal wording)" for m in INTERNAL.finditer(text)
    ]
    problems += [
        f"the card quotes a measured figure {m.group(0)!r}" for m in MEASURED.finditer(text)
    ]
    return problems


def follow_up_problems(answer: Answer) -> list[str]:
    if len(answer.follow_ups) not in FOLLOW_UPS:
        count = len(answer.follow_ups)
        return [f"`## {PUSH}` has {count} `###` questions (6 to 10)"]
    problems = []
    for follow_up in answer.follow_ups:
        where = f"follow-up {follow_up.question!r}"
        if (count := words(follow_up.answer)) > ANSWER_WORDS:
            problems.append(f"{where}: {count} words (at most {ANSWER_WORDS})")
        if follow_up.cite is None:
            problems.append(f"{where}: does not end with a `Cite:` line")
            continue
        tests = [link for link in follow_up.cite.links if link.test_name]
        if not tests or len(tests) == len(follow_up.cite.links):
            problems.append(f"{where}: Cite names no file and test as `file.py::test_name`")
        problems += [f"{where}: {p}" for link in tests for p in cited_test_problems(answer, link)]
    return problems


def proof_problems(answer: Answer, root: Path) -> list[str]:
    if not answer.proof:
        return ["no `## Proof` table"]
    benchmarks = (root / "benchmarks").resolve()
    problems = []
    for row in answer.proof:
        tests = [link for link in row.shown_by.links if link.test_name]
        benches = [
            link
            for link in row.shown_by.links
            if (target := resolve(answer, link)) and target.is_relative_to(benchmarks)
        ]
        if not tests and not benches:
            problems.append(f"proof {row.claim!r}: names no `file.py::test_name` nor a benchmark")
        problems += [
            f"proof {row.claim!r}: {p}" for link in tests for p in cited_test_problems(answer, link)
        ]
    return problems


def link_problems(answer: Answer) -> list[str]:
    return [
        f"link {link.href!r} ({link.text!r}) does not resolve"
        for link in answer.links
        if (target := resolve(answer, link)) is not None and not target.exists()
    ]


def order_problems(answer: Answer) -> list[str]:
    if answer.headings[1:3] != [CARD, PUSH]:
        return [f"the first sections must be `## {CARD}` then `## {PUSH}`"]
    return []


def problems(answer: Answer, root: Path) -> list[str]:
    """Everything about `answer` that breaks the rules; empty when it is in shape."""
    return [
        *order_problems(answer),
        *card_problems(answer),
        *follow_up_problems(answer),
        *proof_problems(answer, root),
        *link_problems(answer),
    ]
