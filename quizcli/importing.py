"""Turning Markdown notes into a user bank: one open question per section. Pure: text in, bank data out.

The bank is English-only (``languages: [en]``) rather than a copy of the English posing as Chinese, and
names its own notes (``notes: {file, sections}``) so that its questions' sources validate.
"""

from __future__ import annotations

import re

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
TOPIC = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_POINTS = 5


def sections(markdown: str) -> list[tuple[str, list[str]]]:
    """``(heading, non-empty lines)`` of each section that has text."""
    found: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        match = HEADING.match(line)
        if match:
            found.append((match.group(2), []))
        elif found and line.strip():
            found[-1][1].append(line.strip())
    return [(title, body) for title, body in found if body]


def bank(topic: str, notes_file: str, parts: list[tuple[str, list[str]]]) -> dict:
    questions = [{
        "id": f"{topic}.import-{index}", "type": "open", "difficulty": 2, "tags": ["imported"],
        "source": {"note": notes_file, "section": title},
        "prompt": {"en": f"Explain: {title}"},
        "answer": {"en": "\n".join(body)},
        "key_points": [{"en": line} for line in body[:KEY_POINTS]],
    } for index, (title, body) in enumerate(parts, start=1)]
    return {"topic": topic, "title": {"en": topic}, "languages": ["en"],
            "notes": {"file": notes_file, "sections": [title for title, _ in parts]}, "questions": questions}
