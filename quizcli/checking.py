"""Checking an answer against a posed question. Pure: text in, verdict out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import expr, units
from .content import text
from .questions import LETTERS, Posed, format_number

DONT_KNOW = {"", "?", "？", "idk", "pass", "不知道", "不会"}
MATH = str.maketrans({"×": "*", "·": "*", "⋅": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "√": "sqrt",
                      "；": ";", "，": ",", "。": ".", "（": "(", "）": ")"})
BLANK = re.compile(r"_{3,}")
# Chinese terms written two ways: the usual one first (归约 "reduce", 全收集 "all-gather"), the notes' second.
SYNONYMS = {"规约": "归约", "全聚集": "全收集"}
TIMES_X = re.compile(r"(?<=\d)\s*x(?=\s*\d)|(?<=\d)x$")  # ASCII x for ×: "3x3", "2x"


class AnswerFormatError(ValueError):
    """The reply cannot be read as an answer of this type (the user may try again)."""


@dataclass
class Verdict:
    correct: bool
    expected: str          # the right answer, as the user should see it
    given: str = ""        # the reply as understood
    mistake: str = ""      # numeric: the declared mistake the reply matches, in the question's language
    reading: str = ""      # numeric: how a reply in another unit was converted ("0.4 GB = 400 MB")


def is_dont_know(reply: str) -> bool:
    return reply.strip().lower() in DONT_KNOW


def normalise(reply: str) -> str:
    """Case, width, whitespace and unicode-math insensitive form of a short answer."""
    folded = unicodedata.normalize("NFKC", reply).casefold().strip()
    folded = TIMES_X.sub("×", folded).translate(MATH).rstrip(".")
    for variant, usual in SYNONYMS.items():
        folded = folded.replace(variant, usual)
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


def read_number(reply: str, unit: str = "") -> tuple[float, str]:
    """``14``, ``14 GB``, ``0.4 GB`` (unit MB), ``1.4e10``, ``7B``, ``12k``, ``2*7``, ``532,480`` → the value in
    the question's unit, and how the reply was read when it named another unit ("0.4 GB = 400 MB"), else ''."""
    text, unit = unicodedata.normalize("NFKC", reply).strip(), unicodedata.normalize("NFKC", unit)
    try:
        number, factor, named = units.split(text, unit)
        value = _number(re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", number.translate(MATH)))
    except units.UnitError as exc:
        raise AnswerFormatError(f"{exc}: answer in {unit or 'a plain number'}") from None
    except expr.ExpressionError:
        raise AnswerFormatError(f"not a number: {reply.strip()!r}") from None
    if factor == 1.0:  # no unit, the question's own, or its abbreviation ("31.4G" in GB)
        return value, ""
    return value * factor, f"{format_number(value)} {named} = {format_number(value * factor)} {unit}".rstrip()


def parse_number(reply: str, unit: str = "") -> float:
    return read_number(reply, unit)[0]


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
        given, reading = read_number(reply, question.get("unit", ""))
        tolerance = float(question["tolerance"])
        unit = f" {question.get('unit')}" if question.get("unit") else ""
        correct = within_tolerance(given, posed.value, tolerance)
        return Verdict(correct, f"{format_number(posed.value)}{unit}", format_number(given),
                       "" if correct else named_mistake(posed, given, tolerance), reading)
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
