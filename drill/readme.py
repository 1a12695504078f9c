"""Read an answer README (the shape in CONTRIBUTING.md) into a card, follow-ups and proof rows.

The structure comes from markdown-it-py's token stream: headings, paragraphs, tables and links are
tokens, so a `###` inside a code block or a pipe inside a code span never confuses the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

CARD = "The card"
PUSH = "If they push"
PROOF = "Proof"
CITE = "Cite:"
# The ten answers and the app that composes them, in the order the top README lists them.
ANSWER_PACKAGES = (
    "rate_limiter", "rest_vs_graphql", "migrations_demo", "cap_theorem", "auth",
    "error_handling", "scaling", "microservices", "api_security", "queue_demo", "app",
)  # fmt: skip


@dataclass(frozen=True)
class Link:
    """A link as written: the text a reader sees and the target relative to the README."""

    text: str
    href: str

    @property
    def test_name(self) -> str | None:
        """`test_x` when the text names a test as `file.py::test_x`, else None."""
        file, sep, name = self.text.partition("::")
        return name.split("[")[0] if sep and file.endswith(".py") and name else None


@dataclass(frozen=True)
class Block:
    """One paragraph, list or table cell: its plain text and the links in it."""

    text: str
    links: tuple[Link, ...] = ()
    strong: tuple[str, ...] = ()  # the **bold** phrases: a card's signposts


@dataclass(frozen=True)
class FollowUp:
    question: str
    answer: tuple[Block, ...]
    cite: Block | None  # the closing `Cite:` paragraph, if there is one


@dataclass(frozen=True)
class ProofRow:
    claim: str
    shown_by: Block


@dataclass
class Answer:
    """One answer README, read."""

    package: str
    path: Path
    question: str = ""
    headings: list[str] = field(default_factory=list)  # the title and every `##`, in order
    card: list[Block] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    proof: list[ProofRow] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def _inline(token: Token) -> Block:
    """Plain text and links of one inline token (a paragraph, heading or table cell)."""
    parts: list[str] = []
    links: list[Link] = []
    strong: list[str] = []
    href: str | None = None
    label: list[str] = []
    bold_from: int | None = None
    for child in token.children or []:
        if child.type == "strong_open":
            bold_from = len(parts)
        elif child.type == "strong_close" and bold_from is not None:
            strong.append("".join(parts[bold_from:]).strip())
            bold_from = None
        elif child.type == "link_open":
            href, label = str(child.attrs.get("href", "")), []
        elif child.type == "link_close" and href is not None:
            links.append(Link("".join(label), href))
            href = None
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
            label.append(child.content)
        elif child.type == "image":
            links.append(Link(child.content, str(child.attrs.get("src", ""))))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return Block("".join(parts).strip(), tuple(links), tuple(strong))


def _split(tokens: list[Token], tag: str) -> list[tuple[str, list[Token]]]:
    """(heading text, tokens up to the next heading of `tag` or higher) for each `tag` heading.

    Tokens before the first such heading come back under the empty title.
    """
    level = int(tag[1])
    parts: list[tuple[str, list[Token]]] = [("", [])]
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open" and int(token.tag[1]) <= level:
            # heading_open, inline (its text), heading_close
            parts.append((tokens[index + 1].content.strip(), []))
            index += 3
            continue
        parts[-1][1].append(token)
        index += 1
    return parts


def _blocks(tokens: list[Token]) -> list[Block]:
    """Top-level paragraphs and list items, in order, as blocks (fenced code is skipped)."""
    return [_inline(t) for t in tokens if t.type == "inline"]


def _follow_ups(tokens: list[Token]) -> list[FollowUp]:
    follow_ups: list[FollowUp] = []
    for question, body in _split(tokens, "h3")[1:]:
        blocks = [b for b in _blocks(body) if b.text]
        cite = blocks.pop() if blocks and blocks[-1].text.startswith(CITE) else None
        follow_ups.append(FollowUp(question, tuple(blocks), cite))
    return follow_ups


def _proof(tokens: list[Token]) -> list[ProofRow]:
    """Rows of the first table under `## Proof`: first cell the claim, last cell the evidence."""
    rows: list[ProofRow] = []
    cells: list[Block] = []
    in_body = False
    for token in tokens:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "table_close":
            break
        elif in_body and token.type == "tr_open":
            cells = []
        elif in_body and token.type == "inline":
            cells.append(_inline(token))
        elif in_body and token.type == "tr_close" and len(cells) >= 2:
            rows.append(ProofRow(cells[0].text, cells[-1]))
    return rows


def _all_links(tokens: list[Token]) -> list[Link]:
    return [link for t in tokens if t.type == "inline" for link in _inline(t).links]


def parse(path: Path, package: str | None = None) -> Answer:
    """Read one answer README; missing sections come back empty, for the caller to judge."""
    tokens = MarkdownIt("commonmark").enable("table").parse(path.read_text(encoding="utf-8"))
    h1 = _split(tokens, "h1")
    title = h1[1][0] if len(h1) > 1 else ""
    parts = _split(tokens, "h2")[1:]
    sections = dict(parts)
    answer = Answer(package or path.parent.name, path, title, [name for name, _ in parts])
    answer.card = [b for b in _blocks(sections.get(CARD, [])) if b.text]
    answer.follow_ups = _follow_ups(sections.get(PUSH, []))
    answer.proof = _proof(sections.get(PROOF, []))
    answer.links = _all_links(tokens)
    return answer


def discover(root: Path) -> list[Answer]:
    """Every package under `root` whose README has a card: what the drill can ask about."""
    found = (parse(p) for p in sorted(root.glob("*/README.md")))
    return [answer for answer in found if answer.card]
