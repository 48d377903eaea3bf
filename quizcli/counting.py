"""One definition of the numbers every screen shows: answered, correct, due and new.

- answered: every answer to a question (open questions included: they are rated by the user);
- correct: an auto-graded answer that was right, or an open answer the user rated good or easy;
- due: a card of the current content whose due time is now or earlier (what ``quiz review`` asks now);
- new: a card of the current content (question or exercise) that has never been scheduled.

The round summary, ``quiz review``, ``quiz stats``, ``quiz topics`` and their ``--json`` use these and only these.
"""

from __future__ import annotations

from typing import Iterable

GOOD = 3                         # fsrs.Rating.Good; importing fsrs here would slow the fast commands
LEARNING, REVIEW, RELEARNING = 1, 2, 3  # fsrs.State values
ANSWERED_SQL = "kind = 'question'"
CORRECT_SQL = f"COALESCE(correct, rating >= {GOOD})"  # the same rule as ``is_correct``, in SQL


def is_correct(correct: bool | None, rating: int) -> bool:
    return bool(correct) if correct is not None else rating >= GOOD


def accuracy(right: int, answered: int) -> float | None:
    return round(right / answered, 3) if answered else None


def due_ids(dues: dict[str, str], content: Iterable[str], now_iso: str) -> list[str]:
    """Cards of ``content`` due by ``now_iso`` (``dues``: card id → due time, ISO)."""
    return [card_id for card_id in content if card_id in dues and dues[card_id] <= now_iso]


def new_ids(dues: dict[str, str], content: Iterable[str]) -> list[str]:
    return [card_id for card_id in content if card_id not in dues]


def card_counts(cards: dict[str, tuple[str, int]], content: Iterable[str], now_iso: str) -> dict[str, int]:
    """``cards``: card id → (due ISO, fsrs state). Cards of content that is gone are not counted."""
    content = list(content)
    known = [cards[card_id] for card_id in content if card_id in cards]
    return {"new": len(content) - len(known),
            "learning": sum(state in (LEARNING, RELEARNING) for _, state in known),
            "review": sum(state == REVIEW for _, state in known),
            "total": len(content),
            "due": sum(due <= now_iso for due, _ in known)}
