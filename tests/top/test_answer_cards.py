"""Every answer README keeps the shape in CONTRIBUTING.md, so a candidate can say its card and
`python -m drill` can ask it: card limits, 6–10 cited follow-ups, proof rows naming tests, links.

Run: `pytest tests/top/test_answer_cards.py -q`. Each README is its own test, named by package, and a
failure lists every rule it breaks. The rules themselves are `drill/rules.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drill.readme import ANSWER_PACKAGES, parse
from drill.rules import problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ANSWER_PACKAGES)
def test_the_answer_readme_keeps_the_card_shape(package: str) -> None:
    found = problems(parse(ROOT / package / "README.md"), ROOT)
    if found:
        pytest.fail(f"{package}/README.md:\n  " + "\n  ".join(found), pytrace=False)
