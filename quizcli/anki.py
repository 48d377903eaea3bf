"""Anki packages (.apkg) with genanki: a note model per question type, a deck per topic under one parent deck.

Note GUIDs come from question ids, so importing an updated export changes the notes in place; model and deck
ids are derived from their names for the same reason.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import QuizError
from .export import anki_tags, back_html, front_html, languages

PARENT_DECK = "quiz"
FIELDS = ["Id", "Topic", "Front", "Back", "FrontOther", "BackOther"]
CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.code { font-family: monospace; font-size: 15px; background: #f4f4f4; padding: 6px; }
.note { color: #888; font-size: 13px; margin-top: 8px; }
.correct { font-weight: bold; margin-bottom: 8px; }
.other { color: #666; font-size: 15px; margin-top: 16px; }"""
FRONT = "{{Front}}{{#FrontOther}}<div class=other>{{FrontOther}}</div>{{/FrontOther}}"
BACK = ("{{FrontSide}}<hr id=answer>{{Back}}"
        "{{#BackOther}}<div class=other>{{BackOther}}</div>{{/BackOther}}")


def stable_id(name: str) -> int:
    """A 31-bit id that depends only on ``name`` (Anki wants model and deck ids to stay the same)."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def write_package(rows: list[dict], out: Path, lang: str | None) -> int:
    """Write ``rows`` (from export.row) as an .apkg at ``out``; returns the number of notes."""
    try:
        import genanki
    except ImportError:
        raise QuizError("Anki packages need genanki: pip install 'genanki' (or the '[anki]' extra of quiz)") from None
    models: dict[str, genanki.Model] = {}
    decks: dict[str, genanki.Deck] = {}
    for data in rows:
        kind = data["type"]
        if kind not in models:
            name = f"quiz {kind}"
            models[kind] = genanki.Model(stable_id(name), name, fields=[{"name": f} for f in FIELDS],
                                         templates=[{"name": "Card", "qfmt": FRONT, "afmt": BACK}], css=CSS)
        topic = data["topic"]
        if topic not in decks:
            deck_name = f"{PARENT_DECK}::{topic}"
            decks[topic] = genanki.Deck(stable_id(deck_name), deck_name)
        main, other = languages(data, lang)
        fields = [data["id"], topic, front_html(data, main), back_html(data, main),
                  front_html(data, other) if other else "", back_html(data, other) if other else ""]
        decks[topic].add_note(genanki.Note(model=models[kind], fields=fields, tags=anki_tags(data),
                                           guid=genanki.guid_for(data["id"])))
    genanki.Package(list(decks.values())).write_to_file(str(out))
    return len(rows)
