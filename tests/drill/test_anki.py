"""The Anki export: a valid .apkg (a zip holding a SQLite collection) with one note per question."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

from tests.drill.conftest import drill


def read_notes(apkg: Path, tmp_path: Path) -> list[tuple[list[str], set[str]]]:
    """(fields, tags) of each note, read back the way Anki reads the package."""
    with zipfile.ZipFile(apkg) as package:
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as collection:
        rows = collection.execute("SELECT flds, tags FROM notes ORDER BY sfld").fetchall()
    return [(fields.split("\x1f"), set(tags.split())) for fields, tags in rows]


def test_every_card_and_follow_up_becomes_a_note_tagged_by_package(tmp_path: Path) -> None:
    apkg = tmp_path / "out" / "drill.apkg"
    result = drill("export", "--anki", str(apkg))
    assert result.returncode == 0, result.stderr
    assert "Wrote 14 notes" in result.stdout
    notes = read_notes(apkg, tmp_path)
    assert len(notes) == 14  # two packages, each a card and six follow-ups
    by_question = {fields[0]: (fields, tags) for fields, tags in notes}
    fields, tags = by_question["Can the count go down?"]
    assert tags == {"counter", "follow-up"}
    assert fields[2] == "counter/counter.py"
    assert fields[3] == "test_counter.py::test_a_negative_amount_is_refused"
    card_fields, card_tags = by_question["How would you greet a user?"]
    assert card_tags == {"greeting", "card"}
    assert "<b>Say the name</b>, <b>keep it short</b>, and <b>test it</b>." in card_fields[1]


def test_an_export_path_without_apkg_is_refused_in_one_line(tmp_path: Path) -> None:
    result = drill("export", "--anki", str(tmp_path / "drill.zip"))
    assert result.returncode == 2
    assert result.stderr == f"drill: {tmp_path / 'drill.zip'} must end in .apkg\n"
