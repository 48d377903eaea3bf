"""Exported cards: every question rendered completely, as data (JSON) or as HTML for Anki. Pure logic.

A template question is drawn once with parameters seeded by its id, so an export is the same every time and
re-importing an updated deck changes each note in place.
"""

from __future__ import annotations

import html
import random

from .content import LANGUAGES, Bank, text
from .questions import LETTERS, Posed, format_number, pose


def seeded(question: dict, lang: str) -> Posed:
    """The question posed with parameters drawn from a generator seeded by its id (the same in every export)."""
    return pose(question, lang, random.Random(question["id"]))


def correct_answer(posed: Posed) -> str:
    """The right answer in the words of the question: the choices' text, the items in order, the blanks, the value."""
    q = posed.question
    if q["type"] == "mcq":
        return f"{q['correct']}) {posed.choices[LETTERS.index(q['correct'])]}"
    if q["type"] == "multi":
        return "; ".join(f"{letter}) {posed.choices[LETTERS.index(letter)]}" for letter in q["correct"])
    if q["type"] == "order":
        return " → ".join(text(item, posed.lang) for item in q["items"])
    if q["type"] == "cloze":
        return "; ".join(str(alternatives[0]) for alternatives in q["blanks"])
    if q["type"] == "numeric":
        unit = f" {q['unit']}" if q.get("unit") else ""
        return f"{format_number(posed.value)}{unit} (± {q['tolerance'] * 100:g} %)"
    return posed.answer


def row(bank: Bank, question: dict, card_state: dict | None) -> dict:
    """Everything a tool needs to re-render the card, in every language the bank has."""
    by_lang = {lang: seeded(question, lang) for lang in bank.languages}
    first = by_lang[bank.languages[0]]
    data = {"id": question["id"], "topic": bank.topic, "type": question["type"],
            "difficulty": question.get("difficulty"), "tags": list(question.get("tags") or []),
            "misconceptions": list(question.get("misconceptions") or []), "source": question.get("source"),
            "code": question.get("code"), "params": first.params, "card": card_state}
    for lang, posed in by_lang.items():
        data[lang] = {"prompt": posed.prompt, "answer": posed.answer, "explanation": posed.explanation,
                      "choices": posed.choices, "correct": correct_answer(posed),
                      "key_points": [text(point, lang) for point in question.get("key_points") or []]}
    if question["type"] in ("mcq", "multi"):
        data["correct_letters"] = question["correct"]
    if question["type"] == "order":
        data["shown_order"] = first.shown_order
    if question["type"] == "cloze":
        data["blanks"] = question["blanks"]
    if question["type"] == "numeric":
        data.update(value=first.value, unit=question.get("unit", ""), tolerance=question["tolerance"])
    return data


def _paragraphs(value: str) -> str:
    return "<br><br>".join(html.escape(part).replace("\n", "<br>") for part in value.split("\n\n"))


def front_html(data: dict, lang: str) -> str:
    side = data[lang]
    parts = [f"<div class=prompt>{_paragraphs(side['prompt'])}</div>"]
    if data.get("code"):
        parts.append(f"<pre class=code>{_numbered(data['code']['text'])}</pre>")
    if data["type"] in ("mcq", "multi"):
        parts.append("<ol type=a class=choices>" + "".join(f"<li>{html.escape(c)}</li>" for c in side["choices"])
                     + "</ol>")
    elif data["type"] == "order":
        parts.append("<ol class=items>" + "".join(f"<li>{html.escape(c)}</li>" for c in side["choices"]) + "</ol>")
    if data.get("params"):
        drawn = ", ".join(f"{name} = {format_number(value)}" for name, value in data["params"].items())
        parts.append(f"<div class=note>{'参数（固定抽取）' if lang == 'zh' else 'parameters drawn once'}: "
                     f"{html.escape(drawn)}</div>")
    return "".join(parts)


def back_html(data: dict, lang: str) -> str:
    side = data[lang]
    parts = [f"<div class=correct>{html.escape(side['correct'])}</div>"]
    if side["answer"] and side["answer"] != side["correct"]:
        parts.append(f"<div class=answer>{_paragraphs(side['answer'])}</div>")
    if side["key_points"]:
        parts.append("<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in side["key_points"]) + "</ul>")
    if side["explanation"]:
        parts.append(f"<div class=explanation>{_paragraphs(side['explanation'])}</div>")
    return "".join(parts)


def _numbered(code: str) -> str:
    lines = code.strip("\n").split("\n")
    return "\n".join(f"{number:>2}  {html.escape(line)}" for number, line in enumerate(lines, 1))


def anki_tags(data: dict) -> list[str]:
    tags = [f"quiz::{data['topic']}", f"quiz::d{data['difficulty']}", f"quiz::{data['type']}"]
    return tags + [f"quiz::misconception::{tag}" for tag in data["misconceptions"]]


def languages(data: dict, lang: str | None) -> tuple[str, str | None]:
    """The card's main language and the other one, if the bank has it."""
    have = [l for l in LANGUAGES if l in data]
    main = lang if lang in have else have[0]
    other = next((l for l in have if l != main), None) if lang is None else None
    return main, other
