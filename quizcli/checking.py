"""Checking an answer against a posed question. Pure: text in, verdict out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import expr
from .content import text
from .questions import LETTERS, Posed, format_number

DONT_KNOW = {"", "?", "？", "idk", "pass", "不知道", "不会"}
MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
MATH = str.maketrans({"×": "*", "·": "*", "⋅": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "√": "sqrt",
                      "；": ";", "，": ",", "。": ".", "（": "(", "）": ")"})
BLANK = re.compile(r"_{3,}")


class AnswerFormatError(ValueError):
    """The reply cannot be read as an answer of this type (the user may try again)."""


@dataclass
class Verdict:
    correct: bool
    expected: str          # the right answer, as the user should see it
    given: str = ""        # the reply as understood
    mistake: str = ""      # numeric: the declared mistake the reply matches, in the question's language


def is_dont_know(reply: str) -> bool:
    return reply.strip().lower() in DONT_KNOW


def normalise(reply: str) -> str:
    """Case, width, whitespace and unicode-math insensitive form of a short answer."""
    folded = unicodedata.normalize("NFKC", reply).translate(MATH).casefold().strip()
    folded = folded.rstrip(".")
    return re.sub(r"\s+", " ", folded)


def _compact(text: str) -> str:
    """Spacing and word joiners ignored ("Layer-Norm" = "layer norm"), signs and exponents kept ("1e-8" ≠ "1e8")."""
    return re.sub(r"\s+", "", re.sub(r"(?<=[^\W\d_])[-_](?=[^\W\d_])", "", text))


def _number(text: str) -> float:
    return expr.evaluate(text.replace("^", "**"))


def within_tolerance(given: float, expected: float, tolerance: float) -> bool:
    """The numeric rule, relative to the expected value (absolute when it is 0)."""
    return abs(given - expected) <= tolerance * (abs(expected) if expected else 1.0)


def named_mistake(posed: Posed, given: float, tolerance: float) -> str:
    """The label of the declared mistake (``mistakes: [{expr, label}]``) that ``given`` matches, or ''."""
    for mistake in posed.question.get("mistakes") or []:
        if within_tolerance(given, expr.evaluate(mistake["expr"], posed.params), tolerance):
            return text(mistake["label"], posed.lang)
    return ""


def parse_letters(reply: str, count: int) -> set[int]:
    tokens = re.findall(r"[a-z]|\d+", normalise(reply))
    picked = set()
    for token in tokens:
        index = int(token) - 1 if token.isdigit() else LETTERS.index(token)
        if not 0 <= index < count:
            raise AnswerFormatError(f"no choice {token!r}: pick from a–{LETTERS[count - 1]}")
        picked.add(index)
    if not picked:
        raise AnswerFormatError(f"answer with a letter a–{LETTERS[count - 1]}")
    return picked


def parse_number(reply: str, unit: str = "") -> float:
    """``14``, ``14 GB``, ``1.4e10``, ``7B``, ``12k``, ``2*7``, ``532,480`` → a float in the question's unit."""
    text = unicodedata.normalize("NFKC", reply).strip()
    for word in sorted({unicodedata.normalize("NFKC", unit).casefold(), "%"} - {""}, key=len, reverse=True):
        if text.casefold().endswith(word):
            text = text[: -len(word)].strip()
            break
    text = re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", text.translate(MATH))
    factor = 1.0
    suffixed = re.fullmatch(r"(.*?[\d)])\s*([kKMBGT])", text)
    if suffixed:
        text = suffixed.group(1)
        abbreviates_unit = unit[:1].casefold() == suffixed.group(2).casefold()  # "31.4G" for unit GB
        factor = 1.0 if abbreviates_unit else MULTIPLIERS[suffixed.group(2)]
    try:
        return _number(text) * factor
    except expr.ExpressionError:
        raise AnswerFormatError(f"not a number: {reply.strip()!r}") from None


def parse_order(reply: str, count: int) -> list[int]:
    digits = re.findall(r"\d+", normalise(reply))
    if len(digits) == 1 and len(digits[0]) == count and count < 10:
        digits = list(digits[0])
    positions = [int(d) for d in digits]
    if sorted(positions) != list(range(1, count + 1)):
        raise AnswerFormatError(f"give each of 1–{count} once, e.g. {' '.join(str(i) for i in range(count, 0, -1))}")
    return positions


def _matches(reply: str, accepted: list) -> bool:
    given = normalise(reply)
    for option in accepted:
        option = normalise(str(option))
        if given == option or _compact(given) == _compact(option):
            return True
        try:
            if abs(_number(given) - _number(option)) <= 1e-9 * max(1.0, abs(_number(option))):
                return True
        except expr.ExpressionError:
            pass
    return False


def check(posed: Posed, reply: str) -> Verdict:
    """Grade an auto-graded question (every type but ``open``)."""
    question = posed.question
    kind = question["type"]
    if kind in ("mcq", "multi"):
        right = {LETTERS.index(c) for c in ([question["correct"]] if kind == "mcq" else question["correct"])}
        picked = parse_letters(reply, len(posed.choices))
        if kind == "mcq" and len(picked) > 1:
            raise AnswerFormatError("pick one letter")
        letters = ",".join(LETTERS[i] for i in sorted(right))
        return Verdict(picked == right, letters, ",".join(LETTERS[i] for i in sorted(picked)))
    if kind == "numeric":
        given = parse_number(reply, question.get("unit", ""))
        tolerance = float(question["tolerance"])
        unit = f" {question.get('unit')}" if question.get("unit") else ""
        correct = within_tolerance(given, posed.value, tolerance)
        return Verdict(correct, f"{format_number(posed.value)}{unit}", format_number(given),
                       "" if correct else named_mistake(posed, given, tolerance))
    if kind == "cloze":
        blanks = question["blanks"]
        parts = [p.strip() for p in normalise(reply).split(";")] if len(blanks) > 1 else [reply]
        if len(parts) != len(blanks):
            raise AnswerFormatError(f"fill {len(blanks)} blanks, separated by ';'")
        correct = all(_matches(part, accepted) for part, accepted in zip(parts, blanks))
        return Verdict(correct, "; ".join(str(accepted[0]) for accepted in blanks), "; ".join(parts))
    if kind == "order":
        positions = parse_order(reply, len(posed.shown_order))
        right = [posed.shown_order.index(i) + 1 for i in range(len(posed.shown_order))]
        return Verdict(positions == right, " ".join(map(str, right)), " ".join(map(str, positions)))
    raise ValueError(f"{kind} questions are rated by the user, not checked")
