"""`python -m drill export --anki FILE.apkg`: one Anki note per card and per follow-up.

Ids are fixed numbers and each note's guid comes from its question key, so importing a newer
export updates the notes already in Anki instead of adding duplicates.
"""

from __future__ import annotations

import html
from pathlib import Path

import genanki

from drill.questions import Question

# Random once, then fixed forever: Anki identifies a deck and a note type by these numbers.
DECK_ID = 1_733_097_604
MODEL_ID = 1_733_097_605
FIELDS = ("Question", "Answer", "Cite", "Test", "Package")
TEMPLATE = {
    "name": "Spoken answer",
    "qfmt": "<div class=package>{{Package}}</div><h2>{{Question}}</h2>",
    "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}"
    "<p class=cite><b>Cite:</b> {{Cite}}<br><b>Proved by:</b> {{Test}}</p>",
}
CSS = ".card { font-family: sans-serif; font-size: 18px; } .package, .cite { color: #666; }"


def _model() -> genanki.Model:
    return genanki.Model(
        MODEL_ID,
        "backend-interview-answers",
        fields=[{"name": name} for name in FIELDS],
        templates=[TEMPLATE],
        css=CSS,
    )


def _note(model: genanki.Model, question: Question) -> genanki.Note:
    answer = "".join(f"<p>{html.escape(part)}</p>" for part in question.answer.split("\n\n"))
    for phrase in question.signposts:
        answer = answer.replace(html.escape(phrase), f"<b>{html.escape(phrase)}</b>")
    fields = [
        html.escape(question.prompt),
        answer,
        html.escape(" · ".join(question.cite)),
        html.escape(" · ".join(question.tests)),
        html.escape(question.package),
    ]
    # Anki tags cannot hold spaces; package names have none, and the kind says card or follow-up.
    tags = [question.package, question.kind]
    return genanki.Note(model=model, fields=fields, tags=tags, guid=genanki.guid_for(question.key))


def export(questions: list[Question], path: Path) -> int:
    """Write the deck to `path`; returns the number of notes."""
    model = _model()
    deck = genanki.Deck(DECK_ID, "Backend interview answers")
    for question in questions:
        deck.add_note(_note(model, question))
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return len(questions)
