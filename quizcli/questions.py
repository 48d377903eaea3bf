"""Posing a question: draw template parameters, compute the expected value, render text in one language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import expr
from .content import text

if TYPE_CHECKING:
    import random

TYPES = ("mcq", "multi", "numeric", "cloze", "order", "open")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Posed:
    """One question as shown to the user this time: parameters drawn, text in one language."""

    question: dict
    lang: str
    prompt: str
    answer: str
    explanation: str
    choices: list[str] = field(default_factory=list)   # mcq/multi choices; order: items as displayed
    shown_order: list[int] = field(default_factory=list)  # order: item index at each displayed position
    params: dict = field(default_factory=dict)
    value: float | None = None                           # numeric: the expected number

    @property
    def id(self) -> str:
        return self.question["id"]

    @property
    def type(self) -> str:
        return self.question["type"]


def format_number(value: float) -> str:
    """Compact and exact enough to read: 4 significant digits, integers without a decimal point."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    return f"{value:.4g}"


def substitute(template: str, values: dict) -> str:
    """Replace ``{name}`` for known names only, so other braces in the text are left alone."""
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        return format_number(value) if isinstance(value, (int, float)) else str(value)
    return PLACEHOLDER.sub(fill, template)


LIST_ITEM = re.compile(r"^(\s|[-*•]\s|\d+[.)]\s|[a-z][.)]\s|```)")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def reflow(text: str) -> str:
    """Undo the hard line breaks of YAML block text so the terminal can wrap it.

    Paragraphs (blank-line separated) are joined into one line unless they look like code or a list.
    """
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        if any(LIST_ITEM.match(line) for line in lines):
            paragraphs.append(paragraph)
            continue
        joined = lines[0]
        for line in lines[1:]:
            glue = "" if CJK.match(joined[-1:]) and CJK.match(line[:1]) else " "
            joined = joined.rstrip() + glue + line.lstrip()
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def parameter_values(spec) -> list[float]:
    """Every value a parameter can take: a list, or ``{min, max, step}``."""
    if isinstance(spec, dict):
        low, high, step = spec["min"], spec["max"], spec.get("step", 1)
        count = int(round((high - low) / step)) + 1 if step > 0 else 1
        return [low + i * step for i in range(max(count, 1))]
    return list(spec)


def draw_parameters(specs: dict | None, rng: random.Random) -> dict:
    return {name: rng.choice(parameter_values(spec)) for name, spec in (specs or {}).items()}


def expected_value(question: dict, params: dict) -> float:
    return expr.evaluate(question["value"], params)


def pose(question: dict, lang: str, rng: random.Random) -> Posed:
    params = draw_parameters(question.get("params"), rng) if question["type"] == "numeric" else {}
    value = expected_value(question, params) if question["type"] == "numeric" else None
    values = dict(params, value=value) if value is not None else params

    def render(key: str) -> str:
        return reflow(substitute(text(question.get(key), lang), values))

    posed = Posed(question, lang, render("prompt"), render("answer"), render("explanation"),
                  params=params, value=value)
    if question["type"] in ("mcq", "multi"):
        posed.choices = [text(choice, lang) for choice in question["choices"]]
    elif question["type"] == "order":
        order = list(range(len(question["items"])))
        while len(order) > 1 and order == sorted(order):
            rng.shuffle(order)
        posed.shown_order = order
        posed.choices = [text(question["items"][i], lang) for i in order]
    return posed
